"""Optional error tracking: Sentry (or a compatible service) when SENTRY_DSN is set, else off."""

from __future__ import annotations

import os

from folio_common.config import Settings


def init_error_tracking(settings: Settings) -> bool:
    """Start the Sentry client once per process; return whether it is on."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    if sentry_sdk.get_client().is_active():
        return True
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.folio_env,
        release=os.environ.get("FOLIO_VERSION"),
        integrations=[FlaskIntegration(), CeleryIntegration()],
        # Errors only: tracing would send every request's timings to a third party.
        traces_sample_rate=0.0,
        send_default_pii=False,
    )
    return True
