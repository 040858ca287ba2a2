"""Property-based test of the GraphQL endpoint: schemathesis writes documents from the schema.

As the REST contract test: in-process, as an admin, on its own migrated database, with
FUZZ_EXAMPLES documents per root field. No answer may be a 5xx, and every error must be
one the API reports on purpose, with its code: schemathesis's own GraphQL check counts any
error (a refused limit too) as a server failure, so this test checks the codes instead.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
KNOWN_CODES = frozenset(
    {
        "invalid_query",
        "validation_error",
        "not_authenticated",
        "item_not_found",
        "permission_denied",
    }
)

# Introspected at import from an app on a throwaway database; requests go to `fuzz_app`.
schema = schemathesis.graphql.from_asgi(
    "/api/v1/graphql", create_app(make_settings("sqlite+aiosqlite://"))
)


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_field_answers_without_a_server_error(
    case: schemathesis.Case[Any], fuzz_app: FastAPI, admin_headers: dict[str, str]
) -> None:
    response = case.call(app=fuzz_app, headers=admin_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    for error in body.get("errors", []):
        assert error["extensions"]["code"] in KNOWN_CODES, error
        assert "Traceback" not in error["message"]
