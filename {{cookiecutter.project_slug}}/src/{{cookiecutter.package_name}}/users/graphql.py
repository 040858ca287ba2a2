"""GraphQL types and fields of the users domain, over users.service."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from {{ cookiecutter.package_name }}.core.pagination import DEFAULT_LIMIT, PageParams
from {{ cookiecutter.package_name }}.graphql.context import Info
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.models import Role, User
from {{ cookiecutter.package_name }}.users.schemas import UserRead

strawberry.enum(Role, name="Role")  # the domain's enum, as it is


@strawberry.type(name="User")
class UserType:
    id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    email_verified: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User | UserRead) -> UserType:
        """The fields REST's UserRead shows, and no others (never the password hash)."""
        read = user if isinstance(user, UserRead) else UserRead.model_validate(user)
        return cls(**read.model_dump())


@strawberry.type(name="UserPage")
class UserPage:
    items: list[UserType]
    total: int
    limit: int
    offset: int


async def me(info: Info) -> UserType:
    return UserType.of(await info.context.user())


async def users(info: Info, limit: int = DEFAULT_LIMIT, offset: int = 0) -> UserPage:
    params = PageParams(limit=limit, offset=offset)
    await info.context.admin()
    page = await info.context.run(lambda session: service.list_users(session, params=params))
    return UserPage(
        items=[UserType.of(user) for user in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@strawberry.type
class UserQueries:
    me: UserType = strawberry.field(resolver=me, description="Your own account.")
    users: UserPage = strawberry.field(
        resolver=users, description="Every account, oldest first (admins only)."
    )
