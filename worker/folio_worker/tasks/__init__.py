"""Task modules, by concern; importing this package registers every task with Celery."""

from folio_worker.tasks import exports, images, jobs, mail, maintenance, posts

__all__ = ["exports", "images", "jobs", "mail", "maintenance", "posts"]
