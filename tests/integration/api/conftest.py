"""The API contract tests of tests/unit/api, here bound to the tier's Postgres, Redis and worker."""

from tests.unit.api.conftest import (  # noqa: F401 - fixtures shared with the fast tier
    admin,
    author,
    make_person,
    make_post,
    reader,
)
