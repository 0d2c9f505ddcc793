"""Task modules, by concern; importing this package registers every task with Celery."""

from folio_worker.tasks import exports, jobs, mail, maintenance, posts

__all__ = ["exports", "jobs", "mail", "maintenance", "posts"]
