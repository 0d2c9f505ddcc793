"""Folio's settings: read once from the environment, validated, turned into Flask config.

Every variable is documented in `.env.example`. Web, worker, beat and the CLI all load the
same `Settings`, so a value means one thing everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ENVIRONMENTS = ("development", "production", "test")

# Values that show up in examples and tutorials; never acceptable in production.
PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "dev", "development", "please-change-me", "replace-me"}
)
MIN_SECRET_LENGTH = 32
# Seconds the page cache and the rate limiter wait on their Redis before treating it as away;
# in the URL, which both clients read, so the bound holds whatever backend a test swaps in.
REDIS_CLIENT_TIMEOUTS = {"socket_connect_timeout": "1", "socket_timeout": "1"}
# Parallel query workers per statement for web requests (engine_options says why).
WEB_PARALLEL_WORKERS = 0


class ConfigError(RuntimeError):
    """The environment describes a configuration Folio refuses to run with."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _read_secret(env: dict[str, str], name: str) -> str | None:
    """The contents of the file named by `NAME_FILE`, else `NAME` from the environment.

    An empty file counts as no file: compose.yaml always names the secret's mount point, and
    mounts /dev/null there when no file was given (Swarm's stack files cannot say "only if").
    """
    path = env.get(f"{name}_FILE", "").strip()
    if path:
        try:
            secret = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{name}_FILE points to {path!r}, which cannot be read: {exc}"
            ) from exc
        if secret:
            return secret
    value = env.get(name)
    return value.strip() if value is not None else None


def _server_name(raw: str) -> str | None:
    """SERVER_NAME as `host[:port]`, lower-case; None when unset."""
    value = raw.strip().lower()
    if not value:
        return None
    if "/" in value or "@" in value or any(ch.isspace() for ch in value):
        raise ConfigError(
            f"SERVER_NAME is a host with an optional port (blog.example.org, localhost:8080), "
            f"without scheme or path; got {raw!r}"
        )
    return value


def _with_client_timeouts(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for name, value in REDIS_CLIENT_TIMEOUTS.items():
        query.setdefault(name, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _normalise_database_url(url: str) -> str:
    # Platforms hand out postgres:// URLs; SQLAlchemy wants a driver name, and Folio uses psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    database_url: str
    redis_url: str | None
    mail_backend: str
    mail_server: str
    mail_port: int
    mail_username: str | None
    mail_password: str | None
    mail_use_tls: bool
    mail_use_ssl: bool
    mail_default_sender: str
    server_name: str | None
    preferred_url_scheme: str
    max_content_length: int
    log_level: str
    export_dir: str
    export_ttl_hours: int
    confirm_token_hours: int
    reset_token_hours: int
    posts_per_page: int
    fanout_batch_size: int
    cache_timeout: int
    ratelimit_enabled: bool
    login_failure_limit: str
    api_rate_limit: str
    jwt_access_minutes: int
    jwt_refresh_days: int
    cors_origins: tuple[str, ...]
    task_soft_time_limit: int
    task_time_limit: int
    db_pool_size: int
    db_connect_timeout: int
    db_statement_timeout_ms: int
    worker_db_statement_timeout_ms: int
    cache_redis_url: str | None
    broker_visibility_timeout: int
    proxy_hops: int
    page_cache: bool
    edge_cache_seconds: int
    instance_path: str
    metrics_port: int = 0
    sentry_dsn: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def debug(self) -> bool:
        return self.env == "development"

    @property
    def tasks_eager(self) -> bool:
        """Without a broker, tasks run in-process so `make dev` needs nothing but Python."""
        return self.redis_url is None

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, instance_path: str | None = None
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        folio_env = env.get("FOLIO_ENV", "production").strip().lower() or "production"
        if folio_env not in ENVIRONMENTS:
            raise ConfigError(
                f"FOLIO_ENV must be one of {', '.join(ENVIRONMENTS)}, got {folio_env!r}"
            )

        secret_key = _read_secret(env, "SECRET_KEY")
        if folio_env == "production":
            if not secret_key:
                raise ConfigError(
                    "SECRET_KEY (or SECRET_KEY_FILE) is required in production; generate one "
                    'with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
                )
            if secret_key.lower() in PLACEHOLDER_SECRETS or len(secret_key) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"SECRET_KEY is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
                    "refusing to start in production"
                )
        elif not secret_key:
            # Development and tests get a fixed, visibly insecure key: sessions survive reloads.
            secret_key = f"insecure-{folio_env}-key-never-use-in-production"

        # FOLIO_INSTANCE_PATH wins over the caller's default (Flask's folder beside the package,
        # read-only in containers).
        instance = Path(env.get("FOLIO_INSTANCE_PATH") or instance_path or "instance").resolve()
        database_url = env.get("DATABASE_URL", "").strip()
        if not database_url:
            if folio_env == "production":
                raise ConfigError("DATABASE_URL is required in production")
            database_url = f"sqlite:///{instance / 'folio.sqlite3'}"
        database_password = _read_secret(env, "DATABASE_PASSWORD")
        database_url = _normalise_database_url(database_url)
        if database_password and "@" in database_url:
            # Lets compose keep the password in a secret file rather than in the URL.
            from sqlalchemy.engine import make_url

            database_url = (
                make_url(database_url)
                .set(password=database_password)
                .render_as_string(hide_password=False)
            )

        redis_url = env.get("REDIS_URL", "").strip() or None
        if folio_env == "production" and redis_url is None:
            raise ConfigError(
                "REDIS_URL is required in production (the worker and rate limits use it)"
            )

        mail_backend = env.get("MAIL_BACKEND", "console" if folio_env != "production" else "smtp")
        mail_backend = mail_backend.strip().lower()
        if mail_backend not in {"console", "smtp"}:
            raise ConfigError(f"MAIL_BACKEND must be console or smtp, got {mail_backend!r}")

        server_name = _server_name(env.get("SERVER_NAME", ""))
        if folio_env == "production" and server_name is None:
            raise ConfigError(
                "SERVER_NAME is required in production: the host (and port, if not the "
                "scheme's default) readers use, e.g. blog.example.org or localhost:8080. Links "
                "in feeds, mails and API headers are built from it, never from a request's Host"
            )

        scheme = env.get("PREFERRED_URL_SCHEME", "").strip().lower()
        if not scheme:
            scheme = "https" if folio_env == "production" else "http"
        if scheme not in {"http", "https"}:
            raise ConfigError(f"PREFERRED_URL_SCHEME must be http or https, got {scheme!r}")

        cors = tuple(
            origin.strip().rstrip("/")
            for origin in env.get("CORS_ORIGINS", "").split(",")
            if origin.strip()
        )
        if "*" in cors:
            raise ConfigError("CORS_ORIGINS takes an explicit list of origins; '*' is not allowed")

        # The page cache and rate-limit counters may live on a Redis of their own that evicts
        # (the broker's must not); by default they share REDIS_URL.
        cache_redis_url = _with_client_timeouts(env.get("CACHE_REDIS_URL", "").strip() or redis_url)

        edge_cache_seconds = _int(env, "EDGE_CACHE_SECONDS", 1)
        if edge_cache_seconds < 0:
            raise ConfigError("EDGE_CACHE_SECONDS must be 0 (off) or more")

        return cls(
            env=folio_env,
            secret_key=secret_key,
            database_url=database_url,
            redis_url=redis_url,
            mail_backend=mail_backend,
            mail_server=env.get("MAIL_SERVER", "localhost").strip(),
            mail_port=_int(env, "MAIL_PORT", 25),
            mail_username=env.get("MAIL_USERNAME") or None,
            mail_password=_read_secret(env, "MAIL_PASSWORD") or None,
            mail_use_tls=_flag(env.get("MAIL_USE_TLS")),
            mail_use_ssl=_flag(env.get("MAIL_USE_SSL")),
            mail_default_sender=env.get("MAIL_DEFAULT_SENDER", "Folio <no-reply@folio.localhost>"),
            server_name=server_name,
            preferred_url_scheme=scheme,
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", 2 * 1024 * 1024),
            log_level=env.get(
                "LOG_LEVEL", "DEBUG" if folio_env == "development" else "INFO"
            ).upper(),
            export_dir=env.get("EXPORT_DIR", "").strip() or str(instance / "exports"),
            export_ttl_hours=_int(env, "EXPORT_TTL_HOURS", 24),
            confirm_token_hours=_int(env, "CONFIRM_TOKEN_HOURS", 48),
            reset_token_hours=_int(env, "RESET_TOKEN_HOURS", 2),
            posts_per_page=_int(env, "POSTS_PER_PAGE", 10),
            fanout_batch_size=_int(env, "FANOUT_BATCH_SIZE", 50),
            cache_timeout=_int(env, "CACHE_TIMEOUT", 300),
            ratelimit_enabled=_flag(env.get("RATELIMIT_ENABLED"), default=True),
            login_failure_limit=env.get("LOGIN_FAILURE_LIMIT", "10 per 15 minutes"),
            api_rate_limit=env.get("API_RATE_LIMIT", "300 per minute"),
            jwt_access_minutes=_int(env, "JWT_ACCESS_MINUTES", 15),
            jwt_refresh_days=_int(env, "JWT_REFRESH_DAYS", 30),
            cors_origins=cors,
            task_soft_time_limit=_int(env, "TASK_SOFT_TIME_LIMIT", 45),
            task_time_limit=_int(env, "TASK_TIME_LIMIT", 55),
            db_pool_size=_int(env, "DB_POOL_SIZE", 5),
            db_connect_timeout=_int(env, "DB_CONNECT_TIMEOUT", 5),
            db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 10_000),
            worker_db_statement_timeout_ms=_int(env, "WORKER_DB_STATEMENT_TIMEOUT_MS", 60_000),
            cache_redis_url=cache_redis_url,
            broker_visibility_timeout=_int(env, "BROKER_VISIBILITY_TIMEOUT", 120),
            proxy_hops=_int(env, "PROXY_HOPS", 0),
            # Off in tests by default: factories write rows without invalidating the cache.
            page_cache=_flag(env.get("PAGE_CACHE"), default=folio_env != "test"),
            edge_cache_seconds=edge_cache_seconds,
            instance_path=str(instance),
            metrics_port=_int(env, "METRICS_PORT", 0),
            sentry_dsn=_read_secret(env, "SENTRY_DSN") or None,
        )

    def engine_options(self, role: str = "web") -> dict[str, Any]:
        """SQLAlchemy engine options; `role` "worker" allows longer statements than a request.

        Without a connect timeout a connection to a vanished Postgres hangs for a minute; without
        a statement timeout one runaway query holds a Gunicorn thread until Gunicorn kills it.
        """
        options: dict[str, Any] = {"pool_pre_ping": True}
        if self.database_url.startswith("sqlite"):
            return options
        statement_ms = self.db_statement_timeout_ms
        if role == "worker":
            statement_ms = self.worker_db_statement_timeout_ms
        options.update(
            pool_size=self.db_pool_size,
            max_overflow=self.db_pool_size,
            # Waiting for a free pooled connection is bounded too.
            pool_timeout=self.db_connect_timeout,
        )
        if self.database_url.startswith("postgresql"):
            server = f"-c statement_timeout={statement_ms}"
            if role == "web":
                # A request's statements read a page of an index: starting parallel workers
                # costs more than it saves, and under load they queue for the cores the other
                # requests need (the API's tag count at a million posts: 26 ms with two
                # workers, 9 ms without). Tasks keep them for the long scans they do.
                server += f" -c max_parallel_workers_per_gather={WEB_PARALLEL_WORKERS}"
            options["connect_args"] = {
                "connect_timeout": self.db_connect_timeout,
                "options": server,
            }
        return options

    def flask_config(self, role: str = "web") -> dict[str, Any]:
        """The mapping handed to `app.config`; extensions read their own keys from here."""
        is_prod = self.env == "production"
        engine_options = self.engine_options(role)
        config: dict[str, Any] = {
            "FOLIO_ENV": self.env,
            "DEBUG": self.debug,
            "TESTING": self.env == "test",
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "REDIS_URL": self.redis_url,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "PREFERRED_URL_SCHEME": self.preferred_url_scheme,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": is_prod,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": is_prod,
            "MAIL_BACKEND": self.mail_backend,
            "MAIL_SERVER": self.mail_server,
            "MAIL_PORT": self.mail_port,
            "MAIL_USERNAME": self.mail_username,
            "MAIL_PASSWORD": self.mail_password,
            "MAIL_USE_TLS": self.mail_use_tls,
            "MAIL_USE_SSL": self.mail_use_ssl,
            "MAIL_DEFAULT_SENDER": self.mail_default_sender,
            "LOG_LEVEL": self.log_level,
            "EXPORT_DIR": self.export_dir,
            "EXPORT_TTL_HOURS": self.export_ttl_hours,
            "CONFIRM_TOKEN_HOURS": self.confirm_token_hours,
            "RESET_TOKEN_HOURS": self.reset_token_hours,
            "POSTS_PER_PAGE": self.posts_per_page,
            "FANOUT_BATCH_SIZE": self.fanout_batch_size,
            "CACHE_TYPE": "RedisCache" if self.redis_url else "SimpleCache",
            "CACHE_REDIS_URL": self.cache_redis_url,
            "CACHE_KEY_PREFIX": "folio:cache:",
            "CACHE_DEFAULT_TIMEOUT": self.cache_timeout,
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "RATELIMIT_STORAGE_URI": self.cache_redis_url or "memory://",
            "RATELIMIT_KEY_PREFIX": "folio:limits",
            "RATELIMIT_HEADERS_ENABLED": True,
            # A Redis outage must not turn every log-in into a 500: count in memory meanwhile.
            "RATELIMIT_SWALLOW_ERRORS": True,
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "LOGIN_FAILURE_LIMIT": self.login_failure_limit,
            "API_RATE_LIMIT": self.api_rate_limit,
            "JWT_ACCESS_MINUTES": self.jwt_access_minutes,
            "JWT_REFRESH_DAYS": self.jwt_refresh_days,
            "CORS_ORIGINS": self.cors_origins,
            "PROXY_HOPS": self.proxy_hops,
            "PAGE_CACHE_ENABLED": self.page_cache,
            "EDGE_CACHE_SECONDS": self.edge_cache_seconds,
            "METRICS_PORT": self.metrics_port,
            "WTF_CSRF_TIME_LIMIT": None,
            "CELERY": self.celery_config(),
        }
        if self.server_name:
            config["SERVER_NAME"] = self.server_name
        return config

    def celery_config(self) -> dict[str, Any]:
        """Only Celery's own settings: the rest of the Flask config stays out of the worker."""
        config: dict[str, Any] = {
            "broker_url": self.redis_url or "memory://",
            "result_backend": None,
            "task_ignore_result": True,
            "task_always_eager": self.tasks_eager,
            "task_eager_propagates": self.env == "test",
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_soft_time_limit": self.task_soft_time_limit,
            "task_time_limit": self.task_time_limit,
            "task_default_queue": "folio",
            "broker_connection_retry_on_startup": True,
            # A dead worker's unacknowledged tasks return after this long. Every task (and any
            # retry countdown before it) must finish within it, or it is delivered twice: the
            # hard time limit and the retry backoff cap below are sized to fit.
            "broker_transport_options": {
                "visibility_timeout": self.broker_visibility_timeout,
                "socket_connect_timeout": 2,
            },
            "broker_connection_timeout": 2,
            "worker_hijack_root_logger": False,
            "timezone": "UTC",
        }
        if self.tasks_eager:
            # No broker: the web process runs tasks itself, so it needs their code loaded by name.
            config["imports"] = ("folio_worker.tasks",)
        return config
