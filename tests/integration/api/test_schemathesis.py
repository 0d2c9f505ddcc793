"""Property-based run of schemathesis over every operation of the generated OpenAPI document.

Valid and invalid requests, each with a fresh bearer token of the seeded author, against the
app on PostgreSQL and Redis: no response may be a server error or contradict the document.
"""

from __future__ import annotations

import gc
from collections import Counter

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from folio_common.extensions import db
from folio_common.models import User
from folio_common.seed import seed_demo_content
from folio_web.api.auth import issue_tokens

pytestmark = pytest.mark.integration

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Modest, so the whole run takes a few minutes on two cores.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
# These take the refresh token as their bearer token; everything else the access token.
REFRESH_OPERATIONS = {"/api/v1/auth/refresh", "/api/v1/auth/logout"}


@pytest.fixture
def app_overrides() -> dict[str, object]:
    # The run makes thousands of requests; limits have their own tests.
    return {"API_RATE_LIMIT": "1000000 per minute", "LOGIN_FAILURE_LIMIT": "1000000 per minute"}


def _bearer_for(app: Flask, user_id: int, path: str) -> dict[str, str]:
    """Fresh tokens for each request: an earlier one may have logged the author out."""
    with app.app_context():
        tokens = issue_tokens(db.session.get(User, user_id))
        db.session.commit()
    token = tokens["refresh_token"] if path in REFRESH_OPERATIONS else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


# Schemathesis's WSGI transport reads each response without closing it, so a downloaded export's
# file is closed by the garbage collector, which warns; collected below, inside this test.
@pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning")
def test_every_operation_survives_generated_requests(app: Flask) -> None:
    with app.app_context():
        ada_id = seed_demo_content()["ada"].id
        db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    statuses: Counter[tuple[str, str, int]] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case) -> None:  # a schemathesis Case
                method, path = case.operation.method.upper(), case.operation.path
                headers = _bearer_for(app, ada_id, path)
                response = case.call(headers=headers)
                statuses[(method, path, response.status_code)] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (AssertionError, FailureGroup) as failure:
                    failures.append(f"{method} {path}: {failure}")

            try:
                exercise()
            except Unsatisfiable:
                # Nothing invalid can be said about some operations (a plain string in the path).
                assert mode == GenerationMode.NEGATIVE, operation.path

    gc.collect()
    assert not failures, "\n\n".join(failures[:10])
    exercised = {(method, path) for method, path, _status in statuses}
    assert exercised == {(op.method.upper(), op.path) for op in operations}
    assert not [key for key in statuses if key[2] >= 500]
