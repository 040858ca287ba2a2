"""Sending GraphQL documents to the app, as a client would."""

from __future__ import annotations

from typing import Any

import httpx

GRAPHQL_PATH = "/api/v1/graphql"


async def execute(client: httpx.AsyncClient, query: str, **variables: object) -> dict[str, Any]:
    """The response body of a POSTed document (a 200, as GraphQL answers even its errors)."""
    response = await client.post(GRAPHQL_PATH, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    """The `extensions.code` of each error in a response body."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]
