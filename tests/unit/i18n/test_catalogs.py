"""Every string the source marks for translation has a finished translation in every catalog.

The strings are extracted with Babel's API exactly as `make translations` extracts them
(babel.cfg, the same keywords), from the source itself rather than from a committed template,
so a new string without a translation fails here, naming it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from folio_common.i18n import DEFAULT_LOCALE, LANGUAGES, TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[3]
# The Makefile's `-k lazy_gettext -k _l`, on top of Babel's defaults (gettext, _, N_, ...).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def extracted() -> dict[str, str]:
    """Each msgid in the source (the singular of a plural) → where it first appears."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def load_catalog(locale: str) -> Catalog:
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def unfinished(messages: dict[str, str], catalog: Catalog) -> list[str]:
    """One line per msgid that `catalog` lacks, leaves empty or marks fuzzy."""
    problems: list[str] = []
    for msgid, where in sorted(messages.items(), key=lambda item: item[1]):
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None else None
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None:
            problems.append(f"missing: {msgid!r} ({where})")
        elif not all(forms):
            problems.append(f"empty: {msgid!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
    return problems


def test_the_source_marks_strings_for_translation():
    messages = extracted()
    # A broken babel.cfg would find nothing, and then every catalog would look complete.
    assert "Log in" in messages
    assert "Confirm your email address" in messages  # a mail subject
    assert any(".txt:" in where for where in messages.values())  # plain-text mails


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT_LOCALE])
def test_every_string_is_translated(locale):
    problems = unfinished(extracted(), load_catalog(locale))
    assert not problems, f"{len(problems)} strings untranslated in {locale}:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != DEFAULT_LOCALE])
def test_translations_keep_their_placeholders(locale):
    errors = [
        f"{message.id!r}: {'; '.join(map(str, problems))}"
        for message, problems in load_catalog(locale).check()
    ]
    assert not errors, "\n".join(errors)


def test_an_untranslated_string_is_named():
    catalog = Catalog(locale="fr")
    catalog.add("Log in", "Se connecter")
    catalog.add("Register", "")
    catalog.add("Write", "Écrire", flags=["fuzzy"])
    problems = unfinished(
        {"Log in": "a:1", "Register": "a:2", "Write": "a:3", "Search posts": "a:4"}, catalog
    )
    assert problems == [
        "empty: 'Register' (a:2)",
        "fuzzy: 'Write' (a:3)",
        "missing: 'Search posts' (a:4)",
    ]


def test_the_images_keep_babels_data_of_each_language_folio_speaks(tmp_path):
    from folio_common.i18n import prune_locale_data

    for name in ("root", "en", "fr", "de", "fr_CA", "en_GB"):
        (tmp_path / f"{name}.dat").write_bytes(b"")
    assert prune_locale_data(tmp_path) == 3
    assert sorted(path.stem for path in tmp_path.iterdir()) == sorted(["root", *LANGUAGES])
