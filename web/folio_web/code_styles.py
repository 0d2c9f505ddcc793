"""Writes the code stylesheets from the Pygments styles folio_common.markdown names.

Run after changing a style or upgrading Pygments: `uv run python -m folio_web.code_styles`
(a unit test fails while the files in static/css differ from what this writes).
"""

from __future__ import annotations

from pathlib import Path

from folio_common.markdown import CODE_STYLES, code_stylesheet

CSS_DIR = Path(__file__).parent / "static" / "css"


def stylesheet_path(scheme: str) -> Path:
    return CSS_DIR / f"code-{scheme}.css"


def main() -> None:
    for scheme in CODE_STYLES:
        stylesheet_path(scheme).write_text(code_stylesheet(scheme), encoding="utf-8")


if __name__ == "__main__":
    main()
