"""tests/unit/api/test_posts.py again, on PostgreSQL and Redis with a real worker."""

import pytest

from tests.unit.api.test_posts import *  # noqa: F403 - the same contract, another tier

pytestmark = pytest.mark.integration
