"""Folio's shared package: configuration, models, migrations and domain services."""
