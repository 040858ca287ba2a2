"""The API the app serves is the one committed in openapi.json, so every change to it is a diff.

An intended change: refresh the file with
`uv run {{ cookiecutter.package_name }} openapi`, review the diff and commit it. CI then
runs `scripts/check_api_compat.py`, which refuses changes that would break existing
clients (see "API versioning" in the README).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

REFRESH = "uv run {{ cookiecutter.package_name }} openapi"
COMMITTED_SPEC = Path(__file__).resolve().parents[2] / "openapi.json"


async def test_the_served_openapi_document_is_the_committed_one(
    client: httpx.AsyncClient,
) -> None:
    served = (await client.get("/openapi.json")).json()
    committed = json.loads(COMMITTED_SPEC.read_text(encoding="utf-8"))

    assert served == committed, (
        f"The API changed: run `{REFRESH}`, review the diff of openapi.json and commit "
        "it (scripts/check_api_compat.py then checks it breaks no client)."
    )


async def test_operation_ids_are_the_unique_route_names(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """What client generators name their methods after: stable while the route's name is."""
    spec = (await client.get("/openapi.json")).json()
    served = {
        (method.upper(), path): operation["operationId"]
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    named = {
        (method, route.path): route.name
        for route in app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }

    assert served == named
    assert len(set(served.values())) == len(served)


async def test_the_main_request_bodies_carry_examples(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    for name in ("UserCreate", "ItemCreate", "ItemUpdate"):
        assert schemas[name]["examples"], name
