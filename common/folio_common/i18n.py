"""The languages Folio speaks, how a request picks one, and the catalogs that hold them.

One catalog (`translations/<locale>/LC_MESSAGES/messages.po`, compiled to `.mo` by
`make translations`, `make sync` and the image builds) serves the web pages, the forms and the
mails. nginx's micro-cache keys pages by the same choice (nginx/templates/folio.conf.template's
`map $http_accept_language`), so the two must agree: `negotiate` is the app's half.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import babel
from babel.support import NullTranslations, Translations

DEFAULT_LOCALE = "en"
# Every locale with a complete catalog, the default first; a new language is added here, in
# nginx's map and as a catalog (docs/architecture.md, "Languages").
LANGUAGES: tuple[str, ...] = ("en", "fr")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


def N_(message: str) -> str:
    """Marks a string for the catalog without translating it here: services keep English
    (the API's language); the web translates the message where it shows it."""
    return message


def _first_supported_pattern(languages: tuple[str, ...]) -> str:
    """A regular expression finding the first language tag in an Accept-Language header whose
    primary subtag is one of `languages`: items before it are skipped whole, comma to comma."""
    names = "|".join(languages)
    ends = r"(?:[-;\s,]|$)"
    return rf"^(?:(?!\s*(?:{names}){ends})[^,]*,)*\s*({names}){ends}"


# The same expression is nginx's map (folio.conf.template), so the edge cache keys a page by
# exactly the language the app renders it in: the first supported language the browser lists.
# q-values are not weighed: a regex in nginx cannot, and browsers list languages in their order
# of preference anyway. tests/unit/i18n/test_languages.py holds the two copies together.
FIRST_SUPPORTED = _first_supported_pattern(LANGUAGES)
_first_supported = re.compile(FIRST_SUPPORTED, re.IGNORECASE)


@lru_cache(maxsize=512)
def negotiate(accept_language: str | None) -> str:
    """The locale an Accept-Language header picks (see FIRST_SUPPORTED), else the default.

    Cached by header: browsers send a handful of distinct values."""
    found = _first_supported.match(accept_language or "")
    return found.group(1).lower() if found else DEFAULT_LOCALE


def supported(locale: str | None) -> str | None:
    """`locale` if Folio speaks it, else None."""
    return locale if locale in LANGUAGES else None


def prune_locale_data(directory: Path | None = None) -> int:
    """Delete Babel's data (CLDR) of every locale Folio does not speak; returns how many files.

    The image builds run it: Babel ships 1,100 locales, 33 MB, and Folio formats dates and
    numbers only in LANGUAGES (a header asking for fr-CA is answered in fr)."""
    directory = directory or Path(babel.__file__).parent / "locale-data"
    keep = {"root", *LANGUAGES}
    removed = 0
    for data in directory.glob("*.dat"):
        if data.stem not in keep:
            data.unlink()
            removed += 1
    return removed


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of `locale`, loaded once per process."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale])
