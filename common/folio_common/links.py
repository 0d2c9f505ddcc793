"""Absolute links for mails, feeds and API headers, built from the configured public origin.

Never from a request's Host header: a forged Host would otherwise end up in a cached feed
page every later reader receives. The worker has no request at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for

# Paths the web app serves; mails built in the worker point at them.
CONFIRM_EMAIL_PATH = "/auth/confirm/{token}"
LOGIN_PATH = "/auth/login"
RESET_REQUEST_PATH = "/auth/reset"
RESET_PASSWORD_PATH = "/auth/reset/{token}"  # noqa: S105 - a URL path, not a secret
CHANGE_EMAIL_PATH = "/account/email/{token}"
POST_PATH = "/posts/{slug}"


def public_origin() -> str:
    """`scheme://host[:port]` of the site, from SERVER_NAME and PREFERRED_URL_SCHEME.

    Production refuses to start without SERVER_NAME; development without one follows the
    request (or localhost outside a request).
    """
    server_name = current_app.config.get("SERVER_NAME")
    if server_name:
        return f"{current_app.config['PREFERRED_URL_SCHEME']}://{server_name}"
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://localhost"


def public_host() -> str:
    """The configured host name alone, for ids that must never change with the request (Atom
    entry ids): localhost where SERVER_NAME is unset."""
    server_name = current_app.config.get("SERVER_NAME")
    return (urlsplit(f"//{server_name}").hostname if server_name else None) or "localhost"


def external_url(path: str) -> str:
    return public_origin() + path


def public_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` as an absolute URL on the public origin."""
    return external_url(url_for(endpoint, _external=False, **values))
