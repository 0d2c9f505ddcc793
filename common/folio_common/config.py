"""Folio's settings: read once from the environment, validated, turned into Flask config.

One field per setting. Its name, upper-cased, is both the environment variable and the
`app.config` key (`mail_port` is MAIL_PORT in both), so a new setting is its declaration here
plus its line in `.env.example` (tests/unit/test_settings_documented.py holds the two together).
Web, worker, beat and the CLI all load the same `Settings`, so a value means one thing everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

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

# Marks a setting that may also come from a file named by `NAME_FILE` (a Compose secret).
SECRET = "secret"  # noqa: S105 - a marker, not a password
Secret = Annotated[str | None, SECRET]


class ConfigError(RuntimeError):
    """The environment describes a configuration Folio refuses to run with."""


def _secret_names(settings_cls: type[BaseSettings]) -> list[str]:
    return [
        name.upper()
        for name, field in settings_cls.model_fields.items()
        if SECRET in field.metadata
    ]


def _read_secret_files(environ: Mapping[str, str], names: list[str]) -> dict[str, str]:
    """Each `NAME` whose `NAME_FILE` names a non-empty file, with the file's contents.

    An empty file counts as no file: compose.yaml always names the secret's mount point, and
    mounts /dev/null there when no file was given (Swarm's stack files cannot say "only if").
    """
    found: dict[str, str] = {}
    for name in names:
        path = environ.get(f"{name}_FILE", "").strip()
        if not path:
            continue
        try:
            secret = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{name}_FILE points to {path!r}, which cannot be read: {exc}"
            ) from exc
        if secret:
            found[name] = secret
    return found


class _Environment(EnvSettingsSource):
    """Settings from a mapping of environment variables (os.environ, or a test's dict).

    Empty values count as unset, so compose's `NAME=` lines fall back to the default.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = {**environ, **_read_secret_files(environ, _secret_names(settings_cls))}
        super().__init__(settings_cls, case_sensitive=False, env_ignore_empty=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, False, True, None)


def _with_client_timeouts(url: str) -> str:
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


class Settings(BaseSettings):
    """Every setting, with its default; `.env.example` says what each one is for."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    folio_env: Literal["development", "production", "test"] = "production"
    # Folders: FOLIO_INSTANCE_PATH wins over the caller's default (Flask's folder beside the
    # package, read-only in containers).
    folio_instance_path: str = "instance"
    export_dir: str = ""
    # Uploaded images and their resized copies; nginx serves it read-only.
    media_dir: str = ""

    secret_key: Secret = None
    # Empty: SQLite in the instance folder (not in production).
    database_url: str = ""
    # Lets compose keep the password in a secret file rather than in the URL.
    database_password: Annotated[Secret, Field(exclude=True)] = None
    # None: no broker, tasks run in-process (`make dev`).
    redis_url: str | None = None
    # The page cache and rate-limit counters may live on a Redis of their own that evicts
    # (the broker's must not); by default they share REDIS_URL.
    cache_redis_url: str | None = None

    # Empty: console outside production, smtp in it.
    mail_backend: Literal["console", "smtp", ""] = ""
    mail_server: str = "localhost"
    mail_port: int = 25
    mail_username: str | None = None
    mail_password: Secret = None
    mail_use_tls: bool = False
    mail_use_ssl: bool = False
    mail_default_sender: str = "Folio <no-reply@folio.localhost>"

    server_name: str | None = None
    # Empty: https in production, http elsewhere.
    preferred_url_scheme: Literal["http", "https", ""] = ""
    max_content_length: int = 2 * 1024 * 1024
    # An uploaded image's own limit, on top of MAX_CONTENT_LENGTH for the upload routes.
    image_max_bytes: int = Field(10 * 1024 * 1024, ge=1)
    # Empty: DEBUG in development, INFO elsewhere.
    log_level: str = ""

    # How long things live, in hours.
    export_ttl_hours: int = Field(24, ge=1)
    confirm_token_hours: int = Field(48, ge=1)
    reset_token_hours: int = Field(2, ge=1)

    posts_per_page: int = Field(10, ge=1)
    fanout_batch_size: int = Field(50, ge=1)

    # Caches: Redis (seconds), the page cache, nginx's micro-cache (seconds, 0: off).
    cache_timeout: int = 300
    # None: off in tests (factories write rows without invalidating the cache), on elsewhere.
    page_cache: bool | None = None
    edge_cache_seconds: int = Field(1, ge=0)

    # Throttling and the API.
    ratelimit_enabled: bool = True
    # Flask-Limiter reads it as RATELIMIT_STRATEGY.
    ratelimit_strategy: Literal["fixed-window", "moving-window", "sliding-window-counter"] = (
        "fixed-window"
    )
    login_failure_limit: str = "10 per 15 minutes"
    registration_limit: str = "10 per hour"
    api_rate_limit: str = "300 per minute"
    editor_rate_limit: str = "120 per minute"
    jwt_access_minutes: int = 15
    jwt_refresh_days: int = 30
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    proxy_hops: int = 0

    # The worker: seconds a task may run (soft, hard), and before the broker hands it on.
    task_soft_time_limit: int = Field(45, ge=1)
    task_time_limit: int = Field(55, ge=1)
    broker_visibility_timeout: int = Field(120, ge=1)

    # Database connections: per process, seconds to connect, ms a statement may run.
    db_pool_size: int = Field(5, ge=1)
    db_connect_timeout: int = Field(5, ge=1)
    # 0: no limit.
    db_statement_timeout_ms: int = Field(10_000, ge=0)
    worker_db_statement_timeout_ms: int = Field(60_000, ge=0)

    # Operations: Prometheus metrics port (0: off), error tracking.
    metrics_port: int = Field(0, ge=0, le=65_535)
    sentry_dsn: Secret = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, instance_path: str | None = None
    ) -> Settings:
        """Settings from `env` (default: the process environment); `instance_path` is the
        instance folder unless FOLIO_INSTANCE_PATH names another."""
        values = _Environment(cls, os.environ if env is None else env)()
        if instance_path:
            values.setdefault("folio_instance_path", instance_path)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what `from_env` read: a test's dict must not mix with the process environment.
        return (init_settings,)

    @field_validator("folio_env", "mail_backend", "preferred_url_scheme", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("server_name")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        """`host[:port]`, lower-case."""
        raw, value = value, (value or "").strip().lower()
        if not value:
            return None
        if "/" in value or "@" in value or any(ch.isspace() for ch in value):
            raise ValueError(
                f"is a host with an optional port (blog.example.org, localhost:8080), "
                f"without scheme or path; got {raw!r}"
            )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        if "*" in value:
            raise ValueError("takes an explicit list of origins; '*' is not allowed")
        return value

    @model_validator(mode="before")
    @classmethod
    def _defaults_for_the_environment(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Fill in the defaults that depend on FOLIO_ENV and the instance folder."""
        values = dict(values)
        env = str(values.get("folio_env") or "production").strip().lower()
        production = env == "production"
        instance = Path(values.get("folio_instance_path") or "instance").resolve()
        values["folio_instance_path"] = str(instance)
        values["export_dir"] = values.get("export_dir") or str(instance / "exports")
        values["media_dir"] = values.get("media_dir") or str(instance / "media")
        if not values.get("secret_key") and not production:
            # Development and tests get a fixed, visibly insecure key: sessions survive reloads.
            values["secret_key"] = f"insecure-{env}-key-never-use-in-production"
        if not values.get("database_url") and not production:
            values["database_url"] = f"sqlite:///{instance / 'folio.sqlite3'}"
        values["mail_backend"] = values.get("mail_backend") or ("smtp" if production else "console")
        values["preferred_url_scheme"] = values.get("preferred_url_scheme") or (
            "https" if production else "http"
        )
        values["log_level"] = (
            values.get("log_level") or ("DEBUG" if env == "development" else "INFO")
        ).upper()
        values.setdefault("page_cache", env != "test")
        return values

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        """Production runs only with a real secret, a database, a broker and a public origin."""
        if self.folio_env != "production":
            return self
        if not self.secret_key:
            raise ValueError(
                "SECRET_KEY (or SECRET_KEY_FILE) is required in production; generate one "
                'with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if (
            self.secret_key.lower() in PLACEHOLDER_SECRETS
            or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                f"SECRET_KEY is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
                "refusing to start in production"
            )
        if not self.database_url:
            raise ValueError("DATABASE_URL is required in production")
        if self.redis_url is None:
            raise ValueError(
                "REDIS_URL is required in production (the worker and rate limits use it)"
            )
        if self.server_name is None:
            raise ValueError(
                "SERVER_NAME is required in production: the host (and port, if not the "
                "scheme's default) readers use, e.g. blog.example.org or localhost:8080. Links "
                "in feeds, mails and API headers are built from it, never from a request's Host"
            )
        return self

    @property
    def instance_path(self) -> str:
        return self.folio_instance_path

    @property
    def debug(self) -> bool:
        return self.folio_env == "development"

    @property
    def tasks_eager(self) -> bool:
        """Without a broker, tasks run in-process so `make dev` needs nothing but Python."""
        return self.redis_url is None

    @property
    def sqlalchemy_database_uri(self) -> str:
        url = _normalise_database_url(self.database_url)
        if self.database_password and "@" in url:
            from sqlalchemy.engine import make_url

            url = make_url(url).set(password=self.database_password)
            return url.render_as_string(hide_password=False)
        return url

    @property
    def cache_redis_uri(self) -> str | None:
        url = self.cache_redis_url or self.redis_url
        return _with_client_timeouts(url) if url else None

    def engine_options(self, role: str = "web") -> dict[str, Any]:
        """SQLAlchemy engine options; `role` "worker" allows longer statements than a request.

        Without a connect timeout a connection to a vanished Postgres hangs for a minute; without
        a statement timeout one runaway query holds a Gunicorn thread until Gunicorn kills it.
        """
        options: dict[str, Any] = {"pool_pre_ping": True}
        url = self.sqlalchemy_database_uri
        if url.startswith("sqlite"):
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
        if url.startswith("postgresql"):
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
        """The mapping handed to `app.config`: every setting under its own name, then the keys
        extensions read, derived from them."""
        is_prod = self.folio_env == "production"
        config = {name.upper(): value for name, value in self.model_dump().items()}
        config.update(
            {
                "DEBUG": self.debug,
                "TESTING": self.folio_env == "test",
                "SQLALCHEMY_DATABASE_URI": self.sqlalchemy_database_uri,
                "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options(role),
                "SESSION_COOKIE_HTTPONLY": True,
                "SESSION_COOKIE_SAMESITE": "Lax",
                "SESSION_COOKIE_SECURE": is_prod,
                "REMEMBER_COOKIE_HTTPONLY": True,
                "REMEMBER_COOKIE_SAMESITE": "Lax",
                "REMEMBER_COOKIE_SECURE": is_prod,
                "CACHE_TYPE": "RedisCache" if self.redis_url else "SimpleCache",
                "CACHE_REDIS_URL": self.cache_redis_uri,
                "CACHE_KEY_PREFIX": "folio:cache:",
                "CACHE_DEFAULT_TIMEOUT": self.cache_timeout,
                "RATELIMIT_STORAGE_URI": self.cache_redis_uri or "memory://",
                "RATELIMIT_KEY_PREFIX": "folio:limits",
                "RATELIMIT_HEADERS_ENABLED": True,
                # A Redis outage must not turn every log-in into a 500: count in memory meanwhile.
                "RATELIMIT_SWALLOW_ERRORS": True,
                "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
                "WTF_CSRF_TIME_LIMIT": None,
                "CELERY": self.celery_config(),
            }
        )
        if not self.server_name:
            del config["SERVER_NAME"]
        return config

    def celery_config(self) -> dict[str, Any]:
        """Only Celery's own settings: the rest of the Flask config stays out of the worker."""
        config: dict[str, Any] = {
            "broker_url": self.redis_url or "memory://",
            "result_backend": None,
            "task_ignore_result": True,
            "task_always_eager": self.tasks_eager,
            "task_eager_propagates": self.folio_env == "test",
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


def _explain(exc: ValidationError) -> str:
    """One line per wrong variable, named as it is set: `MAIL_PORT: ... got 'x'`."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper()
        message = error["msg"].removeprefix("Value error, ")
        if not name:  # a rule across settings, whose message names them
            lines.append(message)
        elif error["type"] == "value_error":
            lines.append(f"{name} {message}")
        else:
            lines.append(f"{name}: {message}, got {error['input']!r}")
    return "; ".join(lines)
