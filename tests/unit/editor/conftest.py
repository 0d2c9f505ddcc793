"""The blog tier's helpers (committed rows, signed-in users, CSRF tokens) for the editor."""

from tests.unit.blog.conftest import author, committed, login_as, post_form  # noqa: F401
