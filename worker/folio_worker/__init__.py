"""Folio's Celery worker: the consumer side of folio_common.queue, tasks and the beat schedule."""
