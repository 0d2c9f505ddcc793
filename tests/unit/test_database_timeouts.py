"""Every engine has a connect timeout and a statement timeout: short for web, longer for tasks."""

from __future__ import annotations

from folio_common.config import Settings

POSTGRES = {"FOLIO_ENV": "test", "DATABASE_URL": "postgresql://folio@db:5432/folio"}


def test_web_and_worker_engines_both_time_out_the_worker_later():
    settings = Settings.from_env(POSTGRES)

    web = settings.engine_options("web")
    worker = settings.engine_options("worker")

    assert web["connect_args"]["connect_timeout"] == 5
    assert worker["connect_args"]["connect_timeout"] == 5
    assert web["connect_args"]["options"].startswith("-c statement_timeout=10000 ")
    assert worker["connect_args"]["options"] == "-c statement_timeout=60000"
    assert web["pool_timeout"] == 5


def test_the_timeouts_come_from_the_environment():
    settings = Settings.from_env(
        {
            **POSTGRES,
            "DB_CONNECT_TIMEOUT": "2",
            "DB_STATEMENT_TIMEOUT_MS": "1500",
            "WORKER_DB_STATEMENT_TIMEOUT_MS": "90000",
        }
    )

    assert settings.flask_config("web")["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "connect_timeout": 2,
        "options": "-c statement_timeout=1500 -c max_parallel_workers_per_gather=0",
    }
    worker_config = settings.flask_config("worker")["SQLALCHEMY_ENGINE_OPTIONS"]
    assert worker_config["connect_args"]["options"] == "-c statement_timeout=90000"


def test_the_cache_redis_is_its_own_and_gives_up_within_a_second():
    settings = Settings.from_env(
        {**POSTGRES, "REDIS_URL": "redis://redis:6379/0", "CACHE_REDIS_URL": "redis://cache:6379/0"}
    )
    config = settings.flask_config()

    assert config["CELERY"]["broker_url"] == "redis://redis:6379/0"
    for key in ("CACHE_REDIS_URL", "RATELIMIT_STORAGE_URI"):
        assert config[key].startswith("redis://cache:6379/0?"), key
        assert "socket_connect_timeout=1" in config[key] and "socket_timeout=1" in config[key]


def test_without_a_cache_redis_the_cache_shares_the_broker_redis():
    settings = Settings.from_env({**POSTGRES, "REDIS_URL": "redis://redis:6379/3"})

    assert settings.flask_config()["CACHE_REDIS_URL"].startswith("redis://redis:6379/3?")


def test_the_password_from_its_own_variable_reaches_every_connection() -> None:
    settings = Settings.from_env({**POSTGRES, "DATABASE_PASSWORD": "from-a-secret"})

    assert ":from-a-secret@" in settings.sqlalchemy_database_uri
    assert settings.flask_config()["SQLALCHEMY_DATABASE_URI"] == settings.sqlalchemy_database_uri


def test_requests_run_without_parallel_workers_and_tasks_keep_them():
    settings = Settings.from_env(POSTGRES)

    web = settings.engine_options("web")["connect_args"]["options"]
    worker = settings.engine_options("worker")["connect_args"]["options"]

    assert "-c max_parallel_workers_per_gather=0" in web
    assert "max_parallel_workers_per_gather" not in worker
