"""Where uploaded images live on the media volume and the URLs nginx serves them under.

Every name starts with the image's key, a digest of the stored original, so a URL always means
the same bytes: nginx lets browsers keep them for a year (`immutable`). Pure functions, no
database: the Markdown renderer, the templates and the worker all build names here.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from flask import current_app

MEDIA_URL_PREFIX = "/media/"
# Pillow's format name -> the extension of the stored original.
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}
# WebP copies the worker makes, where narrower than the original: a phone (480), the column at
# 1x and 2x (the column is 44rem, 704 CSS pixels; 1440 covers it on a 2x screen).
VARIANT_WIDTHS = (480, 960, 1440)
# The post column's width, for the browser to pick from srcset before it lays the page out.
COLUMN_SIZES = "(min-width: 46rem) 44rem, calc(100vw - 2rem)"
OWN_IMAGE_URL = re.compile(
    r"^/media/(?P<shard>[0-9a-f]{2})/(?P<key>[0-9a-f]{32})(?:-(?P<width>\d+))?"
    r"\.(?P<ext>jpg|png|webp|gif)$"
)


def media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def original_name(key: str, image_format: str) -> str:
    return f"{key[:2]}/{key}.{EXTENSIONS[image_format]}"


def variant_name(key: str, width: int) -> str:
    return f"{key[:2]}/{key}-{width}.webp"


def url_for_name(name: str) -> str:
    return MEDIA_URL_PREFIX + name


def own_image_key(url: str | None) -> str | None:
    """The key of one of this site's images named by `url`, or None for anything else."""
    match = OWN_IMAGE_URL.match(url or "")
    if match is None or not match["key"].startswith(match["shard"]):
        return None
    return match["key"]


def is_own_srcset(value: str) -> bool:
    """True when every candidate of a srcset attribute is one of this site's images."""
    candidates = [part.strip().split()[0] for part in value.split(",") if part.strip()]
    return bool(candidates) and all(own_image_key(url) for url in candidates)


def planned_widths(width: int) -> list[int]:
    """The widths of the WebP copies an original `width` pixels wide gets, smallest first."""
    return [w for w in VARIANT_WIDTHS if w < width] + [width]


def srcset(key: str, widths: list[int]) -> str:
    return ", ".join(f"{url_for_name(variant_name(key, w))} {w}w" for w in widths)


def img_tag(attributes: dict[str, str]) -> str:
    """An <img> element with `attributes`, every value escaped."""
    pairs = " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())
    return f"<img {pairs}>"
