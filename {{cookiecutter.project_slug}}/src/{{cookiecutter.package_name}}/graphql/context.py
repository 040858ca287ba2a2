"""What every resolver gets: the request's session, the caller, and the batching loaders."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from {{ cookiecutter.package_name }}.auth.dependencies import (
    authenticate,
    bearer_token,
    ensure_role,
)
from {{ cookiecutter.package_name }}.core.cache import Cache
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.dependencies import SessionDep
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError
from {{ cookiecutter.package_name }}.core.metrics import HttpMetrics
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.exceptions import UserNotFoundError
from {{ cookiecutter.package_name }}.users.models import Role, User

T = TypeVar("T")


class Context(BaseContext):
    """One per request.

    The session is the request's unit of work, committed after the response is ready, as
    for a REST route that writes. Sibling fields resolve concurrently while an
    AsyncSession serves one statement at a time, so every use of it goes through `run`.
    """

    def __init__(
        self,
        *,
        session: AsyncSession,
        settings: Settings,
        cache: Cache,
        metrics: HttpMetrics,
        token: str | None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.cache = cache
        self.metrics = metrics
        self._session = session
        self._token = token
        self._user: User | None = None
        self._turn = asyncio.Lock()
        self.users = DataLoader(load_fn=self._load_users)

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`work(session)`, once no other field is using the session."""
        async with self._turn:
            return await work(self._session)

    async def user(self) -> User:
        """The caller, from the bearer token, checked as REST checks it (or not_authenticated)."""
        if self._user is None:
            self._user = await self.run(
                lambda session: authenticate(session, self.settings, self._token)
            )
        return self._user

    async def admin(self) -> User:
        """The caller, if an admin (or permission_denied)."""
        return ensure_role(await self.user(), Role.ADMIN)

    async def _load_users(self, user_ids: list[uuid.UUID]) -> list[User | BaseException]:
        found = await self.run(lambda session: users_service.get_many(session, user_ids))
        return [found.get(user_id) or UserNotFoundError() for user_id in user_ids]


async def get_context(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Context:
    resources = resources_of(request.app)
    context = Context(
        session=session,
        settings=resources.settings,
        cache=resources.cache,
        metrics=resources.metrics,
        token=token,
    )
    if token:
        # Before any field runs, as fields resolve in tasks of their own: so the user joins
        # the access log line. A bad token fails only the fields that need a user.
        with contextlib.suppress(AuthenticationError):
            await context.user()
    return context


Info = StrawberryInfo[Context, None]
