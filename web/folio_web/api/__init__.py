"""REST API v1 under /api/v1: JWT bearer auth, JSON in and out, OpenAPI generated from the code.

The API never looks at the session cookie and needs no CSRF token: a request is someone's only
when it carries an access token in its Authorization header.
"""

from __future__ import annotations

import hashlib
from http import HTTPStatus

from flask import Flask, Response, current_app, request
from flask_cors import CORS
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from folio_web.api.problems import PROBLEM_MIMETYPE
from folio_web.api.responses import add_etag
from folio_web.api.schemas import ProblemSchema
from folio_web.extensions import csrf, limiter

API_URL_PREFIX = "/api/v1"


class FolioApi(Api):
    """flask-smorest's Api with errors documented as problem+json.

    Errors themselves are answered by the app-wide handler in `folio_web.errors` (problem+json
    on /api/ paths), which also covers unknown URLs and wrong methods that never reach an API
    blueprint: it is registered after this Api, so it replaces the handler flask-smorest adds.
    """

    ERROR_SCHEMA = ProblemSchema


def _document_errors_as_problems(api: FolioApi) -> None:
    """Describe every status's response as problem+json in the OpenAPI document.

    flask-smorest registers them lazily as application/json; registering them again through
    apispec's public component registry replaces them, before any path refers to one.
    """
    components = api.spec.components
    for status in HTTPStatus:
        response: dict[str, object] = {"description": status.phrase}
        if status >= 400:
            response["schema"] = api.ERROR_SCHEMA
        prepare_response(response, api.spec, PROBLEM_MIMETYPE)
        components.response(status.name, response, lazy=True)
    default = {"description": "RFC 9457 problem details", "schema": api.ERROR_SCHEMA}
    prepare_response(default, api.spec, PROBLEM_MIMETYPE)
    components.response(api.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _bearer_key() -> str:
    # Keyed by a digest so tokens never end up in Redis keys.
    header = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]


def _has_no_bearer() -> bool:
    return not request.headers.get("Authorization", "").strip()


def _configure(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "Folio API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_URL_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Read and write Folio posts, comments, tags, follows and exports. "
                "Get a token with POST /api/v1/auth/tokens and send it as "
                "`Authorization: Bearer <token>`. Errors are RFC 9457 problem details."
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
        },
    )


def init_api(app: Flask) -> FolioApi:
    from folio_web.api import comments, docs, exports, images, posts, tags, tokens, users
    from folio_web.api.auth import init_jwt

    _configure(app)
    init_jwt(app)
    api = FolioApi(app)
    _document_errors_as_problems(api)
    per_ip = limiter.shared_limit(_api_rate_limit, scope="api-ip", key_func=get_remote_address)
    per_token = limiter.shared_limit(
        _api_rate_limit, scope="api-token", key_func=_bearer_key, exempt_when=_has_no_bearer
    )
    for module in (tokens, posts, comments, tags, users, exports, images):
        csrf.exempt(module.blp)
        per_ip(module.blp)
        per_token(module.blp)
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)
    resources = {module.blp.name for module in (tokens, posts, comments, tags, users, exports)}

    @app.after_request
    def _etag(response: Response) -> Response:
        return add_etag(response) if request.blueprint in resources else response

    CORS(
        app,
        resources={rf"{API_URL_PREFIX}/*": {"origins": list(app.config["CORS_ORIGINS"])}},
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=["ETag", "Link", "Location", "Retry-After", "WWW-Authenticate"],
        methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        supports_credentials=False,
        max_age=600,
    )
    app.extensions["folio.api"] = api
    return api
