"""The language of a request: the signed-in user's setting, else Accept-Language, else English.

Flask-Babel translates templates, forms and flashes from the one catalog in folio_common
(folio_common.i18n); catalogs load once per process. Every page says `Vary: Accept-Language`,
and the page caches key pages by the chosen language (folio_web.page_cache, nginx's map).
"""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from folio_common.i18n import DEFAULT_LOCALE, TRANSLATIONS_DIR, negotiate, supported

babel = Babel()

# What pages call the values of stored enums (roles, job and export states).
ROLE_NAMES = {"reader": _l("Reader"), "author": _l("Author"), "admin": _l("Admin")}
JOB_STATES = {
    "started": _l("started"),
    "succeeded": _l("succeeded"),
    "retrying": _l("retrying"),
    "failed": _l("failed"),
}
EXPORT_STATES = {
    "pending": _l("pending"),
    "running": _l("running"),
    "done": _l("done"),
    "failed": _l("failed"),
    "expired": _l("expired"),
}


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a CLI command or a test's app context: the default locale
    # Error pages set an anonymous user before rendering, so this loads nobody there; a page
    # that shows the signed-in user loads them anyway.
    if current_user.is_authenticated:
        chosen = supported(current_user.locale)
        if chosen:
            return chosen
    return negotiate(request.headers.get("Accept-Language"))


def current_language() -> str:
    """The request's locale as a string (`en`, `fr`): for cache keys and `<html lang>`."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE


def _vary_on_language(response: Response) -> Response:
    # The API answers in English whatever the header says; every page depends on it.
    if not request.path.startswith("/api/"):
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    # Flask-WTF's own messages (a missing CSRF token, ...) in the request's language.
    app.config.setdefault("WTF_I18N_ENABLED", True)
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_vary_on_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        role_names=ROLE_NAMES,
        job_states=JOB_STATES,
        export_states=EXPORT_STATES,
    )
