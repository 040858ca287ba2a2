"""The users fields: your own account for anyone signed in, every account for admins."""

from __future__ import annotations

import httpx

from {{ cookiecutter.package_name }}.users.models import User
from tests.integration.graphql.queries import codes, execute

USERS = "{ users(limit: 10) { total items { email role } } }"


async def test_me_is_the_caller_without_secrets(auth_client: httpx.AsyncClient, user: User) -> None:
    body = await execute(auth_client, "{ me { id email role isActive emailVerified } }")

    assert body == {
        "data": {
            "me": {
                "id": str(user.id),
                "email": user.email,
                "role": "USER",
                "isActive": True,
                "emailVerified": user.email_verified,
            }
        }
    }
    password = await execute(auth_client, "{ me { hashedPassword } }")
    assert codes(password) == ["invalid_query"]


async def test_users_is_for_admins(
    auth_client: httpx.AsyncClient, admin_client: httpx.AsyncClient, admin: User, user: User
) -> None:
    refused = await execute(auth_client, USERS)
    listed = await execute(admin_client, USERS)

    assert codes(refused) == ["permission_denied"]
    assert refused["data"] is None
    page = listed["data"]["users"]
    assert page["total"] == 2
    assert {entry["email"]: entry["role"] for entry in page["items"]} == {
        admin.email: "ADMIN",
        user.email: "USER",
    }


async def test_an_error_in_one_field_leaves_the_others(auth_client: httpx.AsyncClient) -> None:
    body = await execute(auth_client, "{ me { role } users { total } }")

    assert codes(body) == ["permission_denied"]
    assert body["errors"][0]["path"] == ["users"]
    assert body["data"] is None  # both fields are non-null: GraphQL nulls the whole result
