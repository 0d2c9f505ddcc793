"""Jinja helpers: fingerprinted static URLs, dates, reading times, initials, cached fragments."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import Flask, url_for

from folio_common.markdown import reading_minutes
from folio_web.page_cache import cached_fragment


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    path = Path(static_folder) / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"


def register(app: Flask) -> None:
    app.add_template_global(cached_fragment)

    @app.template_global()
    def asset_url(filename: str) -> str:
        """Static URL carrying a content hash, so nginx can let browsers cache it for a year."""
        version = _fingerprint(str(app.static_folder), filename)
        return url_for("static", filename=filename, v=version)

    @app.template_filter("date")
    def format_date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
        return value.strftime(fmt) if value else ""

    @app.template_filter("reading_time")
    def format_reading_time(words: int) -> str:
        return f"{reading_minutes(words)} min read"

    @app.template_filter("initials")
    def initials(name: str) -> str:
        """Up to two initials of a name: "Ada Lovelace" → "AL", "ada" → "A"."""
        return "".join(word[0] for word in name.split()[:2]).upper()

    @app.template_filter("isodate")
    def format_isodate(value: datetime | None) -> str:
        # Whole seconds: HTML's datetime takes at most three digits of a fraction.
        return value.replace(microsecond=0).isoformat() if value else ""
