"""tests/unit/api/test_people.py again, on PostgreSQL and Redis with a real worker."""

import pytest

from tests.unit.api.test_people import *  # noqa: F403 - the same contract, another tier

pytestmark = pytest.mark.integration
