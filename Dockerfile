# Folio's Python images, one target each; build from the repository root:
#   docker build --target web .      Gunicorn serving folio_web with folio_common; nothing of the worker
#   docker build --target worker .   Celery worker and beat with folio_common; nothing of the web app
#   docker build --target backup .   Postgres' client tools and backup/folio_backup.py (standard library)
# The classic builder (DOCKER_BUILDKIT=0) builds every stage above the target, so the cheap
# backup target comes first and each image's build stage sits just above it.
ARG PYTHON_IMAGE=python:3.13-slim

# --- what every image runs on: the unprivileged account, its folders, the labels -----------------
FROM ${PYTHON_IMAGE} AS runtime
ARG APP_UID=10001
ARG APP_GID=10001
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://example.invalid/folio
LABEL org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
# A fixed UID/GID in every image, so web, worker and backup can all write the exports and media volumes.
RUN groupadd --gid "${APP_GID}" folio \
 && useradd --uid "${APP_UID}" --gid folio --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin folio \
 && mkdir -p /app /var/lib/folio/exports /var/lib/folio/media /var/lib/folio/beat /var/lib/folio/backups \
 && chown -R "${APP_UID}:${APP_GID}" /var/lib/folio
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FOLIO_ENV=production \
    FOLIO_INSTANCE_PATH=/tmp/folio \
    EXPORT_DIR=/var/lib/folio/exports \
    MEDIA_DIR=/var/lib/folio/media \
    FOLIO_VERSION=${VERSION} \
    # The account's ids, for stages below that must switch back to it after root's work.
    APP_UID=${APP_UID} \
    APP_GID=${APP_GID}
WORKDIR /app
USER ${APP_UID}:${APP_GID}

# --- backup: no virtual environment, only the Postgres client and one script ----------------------
FROM runtime AS backup
LABEL org.opencontainers.image.title="folio-backup" \
      org.opencontainers.image.description="Folio scheduled backups and restores"
USER 0
# The base image's Debian release carries the client of the same major version as the
# server image (17), so pg_dump reads the server and pg_restore writes it back.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
COPY backup/folio_backup.py /app/folio_backup.py
USER ${APP_UID}:${APP_GID}
ENTRYPOINT ["python", "/app/folio_backup.py"]
CMD ["schedule"]

# --- the virtual environments: dependencies from the lock file, then the packages -----------------
FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system
RUN python -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first, from the lock file only, so source edits reuse the layers below.
COPY pyproject.toml uv.lock ./
COPY common/pyproject.toml common/pyproject.toml
COPY web/pyproject.toml web/pyproject.toml
COPY worker/pyproject.toml worker/pyproject.toml
COPY scripts/install-package.sh scripts/install-package.sh

FROM build AS web-build
RUN /opt/uv/bin/uv sync --frozen --no-dev --package folio-web --no-install-workspace
COPY common/folio_common common/folio_common
COPY web/folio_web web/folio_web
RUN scripts/install-package.sh folio-web \
 # Swagger UI ships 14 MB of source maps and 10 MB of bundles (its editor, ES modules) that the
 # docs page never loads: it uses swagger-ui-bundle.js and swagger-ui.css (api/templates/api/docs.html).
 && find /opt/venv -name '*.map' -delete \
 && find /opt/venv -path '*/swagger_ui/static/*' -type f \
      ! -name swagger-ui-bundle.js ! -name swagger-ui.css -delete

FROM runtime AS web
LABEL org.opencontainers.image.title="folio-web" \
      org.opencontainers.image.description="Folio web application (Gunicorn)"
COPY --from=web-build /opt/venv /opt/venv
COPY web/gunicorn.conf.py /app/gunicorn.conf.py
ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["gunicorn", "-c", "/app/gunicorn.conf.py", "folio_web.wsgi:app"]

FROM build AS worker-build
RUN /opt/uv/bin/uv sync --frozen --no-dev --package folio-worker --no-install-workspace
COPY common/folio_common common/folio_common
COPY worker/folio_worker worker/folio_worker
RUN scripts/install-package.sh folio-worker

FROM runtime AS worker
LABEL org.opencontainers.image.title="folio-worker" \
      org.opencontainers.image.description="Folio background worker and scheduler (Celery)"
COPY --from=worker-build /opt/venv /opt/venv
CMD ["celery", "-A", "folio_worker.celery_app:celery", "worker", "--loglevel=INFO"]
