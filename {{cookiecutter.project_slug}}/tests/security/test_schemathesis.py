"""Property-based contract test: schemathesis drives every operation of the app's own schema.

It runs in-process (ASGI), authenticated as an admin so every operation is reachable, against
its own migrated SQLite database. Each operation gets FUZZ_EXAMPLES generated requests
(default 25; `nox -s fuzz` runs more). No response may be a 5xx, and every response must
match the documented status codes, content types and body schemas.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The schema is read from an app on a throwaway URL at import; requests go to `fuzz_app`.
# (schemathesis.pytest.from_fixture would be neater but breaks on pytest 9.)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(make_settings("sqlite+aiosqlite://"))
)


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_honours_its_contract(
    case: schemathesis.Case[Any], fuzz_app: FastAPI, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(app=fuzz_app, headers=admin_headers, checks=CHECKS)
