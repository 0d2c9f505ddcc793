"""Domain services: the business rules, called by web views, API endpoints and worker tasks."""
