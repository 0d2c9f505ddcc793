"""The worker process: its entry point, and what it does after Celery forks a child."""

from __future__ import annotations

import importlib
import sys

from celery import signals

from folio_common.extensions import db


def test_a_forked_child_drops_the_parents_connections_without_closing_them(
    app, worker, monkeypatch
):
    with app.app_context():
        engine = db.engine
    disposed: list[bool] = []
    monkeypatch.setattr(engine, "dispose", lambda close=True: disposed.append(close))
    worker.celery.set_default()

    signals.worker_process_init.send(sender=None)

    assert disposed == [False]


def test_the_entry_point_builds_a_consumer_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FOLIO_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'worker.sqlite3'}")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delitem(sys.modules, "folio_worker.celery_app", raising=False)

    module = importlib.import_module("folio_worker.celery_app")

    celery = module.celery
    assert celery is module.app.extensions["celery"]
    assert celery.conf.task_always_eager is False
    assert celery.conf.broker_url == "redis://127.0.0.1:6379/15"
    assert celery.conf.task_acks_late and celery.conf.worker_prefetch_multiplier == 1
    assert "folio.publish_scheduled_posts" in celery.tasks
    monkeypatch.delitem(sys.modules, "folio_worker.celery_app")


def test_the_worker_keeps_celery_from_replacing_the_json_logging(app, worker):
    import logging

    root = logging.getLogger()
    receivers = signals.setup_logging.send(sender=None, loglevel="DEBUG", logfile=None)

    assert receivers, "without a receiver Celery would install its own log format"
    ours = [handler for handler in root.handlers if getattr(handler, "_folio", False)]
    assert len(ours) == 1
    assert logging.getLevelName(root.level) == app.config["LOG_LEVEL"]
