"""The admin stories reuse the blog tests' helpers."""

from tests.unit.blog.conftest import committed, login_as, post_form  # noqa: F401
