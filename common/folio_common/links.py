"""Absolute links for mails and feeds, built without a request (the worker has none)."""

from __future__ import annotations

from flask import current_app, has_request_context, request

# Paths the web app serves; mails built in the worker point at them.
CONFIRM_EMAIL_PATH = "/auth/confirm/{token}"
RESET_PASSWORD_PATH = "/auth/reset/{token}"  # noqa: S105 - a URL path, not a secret
CHANGE_EMAIL_PATH = "/account/email/{token}"
POST_PATH = "/posts/{slug}"
EXPORT_PATH = "/account/exports"


def external_url(path: str) -> str:
    server_name = current_app.config.get("SERVER_NAME")
    if server_name:
        return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server_name}{path}"
    if has_request_context():
        return request.host_url.rstrip("/") + path
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://localhost{path}"
