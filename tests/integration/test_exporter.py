"""The monitoring exporter reads queue depth and the basics from a real Postgres and Redis."""

from __future__ import annotations

import redis
from prometheus_client import CollectorRegistry
from sqlalchemy import create_engine, text

from folio_worker.exporter import PostgresCollector, QueueCollector, RedisCollector

QUEUE = "folio-exporter-test"


def registry_with(*collectors: object) -> CollectorRegistry:
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)  # type: ignore[arg-type]
    return registry


def test_queue_depth_counts_every_priority_list(redis_url: str, redis_client: redis.Redis) -> None:
    registry = registry_with(QueueCollector(redis_url, [QUEUE]))
    redis_client.delete(QUEUE, f"{QUEUE}\x06\x163")
    redis_client.rpush(QUEUE, "a", "b")
    redis_client.rpush(f"{QUEUE}\x06\x163", "c")
    try:
        assert registry.get_sample_value("folio_queue_messages", {"queue": QUEUE}) == 3
        assert registry.get_sample_value("folio_broker_up") == 1
    finally:
        redis_client.delete(QUEUE, f"{QUEUE}\x06\x163")


def test_an_unreachable_broker_reads_as_down_not_as_an_error() -> None:
    registry = registry_with(QueueCollector("redis://127.0.0.1:1/0", [QUEUE]))

    assert registry.get_sample_value("folio_broker_up") == 0


def test_redis_basics(redis_url: str) -> None:
    registry = registry_with(RedisCollector(redis_url))

    assert registry.get_sample_value("folio_redis_up") == 1
    assert registry.get_sample_value("folio_redis_used_memory_bytes") > 0
    assert registry.get_sample_value("folio_redis_connected_clients") >= 1


def test_postgres_basics(database_url: str) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        registry = registry_with(PostgresCollector(engine))

        assert registry.get_sample_value("folio_postgres_up") == 1
        assert registry.get_sample_value("folio_postgres_connections") >= 1
        assert registry.get_sample_value("folio_postgres_max_connections") > 0
        assert registry.get_sample_value("folio_postgres_database_size_bytes") > 0
        assert registry.get_sample_value("folio_outbox_unsent") >= 0
        assert registry.get_sample_value("folio_outbox_oldest_unsent_seconds") >= 0
    finally:
        engine.dispose()


def test_the_outbox_backlog_counts_unsent_tasks_and_their_age(database_url: str) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    registry = registry_with(PostgresCollector(engine))
    insert = text(
        "INSERT INTO task_outbox (task_name, args, headers, created_at, next_attempt_at, attempts)"
        " VALUES ('folio.exporter_test', '[]', '{}', now() - interval '10 minutes', now(), 0)"
        " RETURNING id"
    )
    try:
        before = registry.get_sample_value("folio_outbox_unsent")
        with engine.begin() as connection:
            row_id = connection.execute(insert).scalar_one()
        try:
            assert registry.get_sample_value("folio_outbox_unsent") == before + 1
            assert registry.get_sample_value("folio_outbox_oldest_unsent_seconds") >= 600
        finally:
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM task_outbox WHERE id = :id"), {"id": row_id})
    finally:
        engine.dispose()


def test_an_unreachable_postgres_reads_as_down() -> None:
    engine = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    registry = registry_with(PostgresCollector(engine))

    assert registry.get_sample_value("folio_postgres_up") == 0
