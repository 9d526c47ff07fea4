"""Schemathesis: every operation of the OpenAPI schema, fed cases generated from the schema, never answers
with a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from server_helpers import make_settings

from cardiowatch.app import create_app

schemathesis = pytest.importorskip("schemathesis")


def test_no_api_operation_answers_5xx(sqlite_database):
    app = create_app(make_settings(sqlite_database), pipeline_factory=None)
    with TestClient(app):  # runs the lifespan: database, runtime
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case):
                response = case.call()
                assert response.status_code < 500, f"{operation.label}: {response.status_code} {response.text}"

            check()
