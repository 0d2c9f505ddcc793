"""Every setting the app declares is documented once in .env.example, and its examples parse."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from folio_common.config import SECRET, Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
# `NAME=value`, or `#NAME=value` for a variable shown but left unset.
ASSIGNMENT = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")


def documented() -> list[tuple[str, str, bool]]:
    """(name, value, commented out) for each variable line of .env.example."""
    found = []
    for line in EXAMPLE.read_text().splitlines():
        if match := ASSIGNMENT.match(line):
            found.append((match.group(1), match.group(2), line.startswith("#")))
    return found


def test_each_setting_is_documented_exactly_once() -> None:
    counts = Counter(name for name, _, _ in documented())
    settings = {name.upper() for name in Settings.model_fields}
    missing = sorted(name for name in settings if counts[name] == 0)
    repeated = sorted(name for name in settings if counts[name] > 1)
    assert not missing, f".env.example lacks {missing}"
    assert not repeated, f".env.example describes {repeated} more than once"


def test_secrets_that_may_come_from_a_file_are_declared_so() -> None:
    names = {name for name, _, _ in documented()}
    for file_variable in (name for name in names if name.endswith("_FILE")):
        setting = file_variable.removesuffix("_FILE").lower()
        if setting == "postgres_password":  # compose passes it on as DATABASE_PASSWORD
            setting = "database_password"
        if setting in Settings.model_fields:
            assert SECRET in Settings.model_fields[setting].metadata, file_variable


def test_the_example_values_make_a_valid_production_configuration(tmp_path: Path) -> None:
    env = {name: value for name, value, commented in documented() if not commented}
    env |= {
        "SECRET_KEY": "s" * 48,
        "SERVER_NAME": "blog.example.org",
        "DATABASE_URL": "postgresql://folio@db:5432/folio",
        "REDIS_URL": "redis://redis:6379/0",
    }
    settings = Settings.from_env(env, instance_path=str(tmp_path))

    assert settings.folio_env == "production"
    assert settings.max_content_length == int(env["MAX_CONTENT_LENGTH"])
