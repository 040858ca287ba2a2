"""The refresh-token store: spend once, detect reuse, revoke, purge."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.store import (
    DatabaseRefreshTokenStore,
    Outcome,
    RefreshTokenStore,
)
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.users.models import User

TTL = timedelta(hours=1)


@pytest.fixture
def store(session: AsyncSession) -> RefreshTokenStore:
    return DatabaseRefreshTokenStore(session)


async def _add(
    store: RefreshTokenStore, user: User, family: uuid.UUID, *, ttl: timedelta = TTL
) -> str:
    fingerprint = uuid.uuid4().hex
    await store.add(fingerprint, user_id=user.id, family_id=family, expires_at=utcnow() + ttl)
    return fingerprint


async def test_a_token_is_accepted_once_then_reported_as_reused(
    store: RefreshTokenStore, user: User
) -> None:
    family = uuid.uuid4()
    token = await _add(store, user, family)

    first = await store.redeem(token)
    second = await store.redeem(token)

    assert (first.outcome, first.user_id, first.family_id) == (Outcome.ACCEPTED, user.id, family)
    assert (second.outcome, second.family_id) == (Outcome.REUSED, family)


async def test_an_unknown_token_is_unknown(store: RefreshTokenStore) -> None:
    assert (await store.redeem(uuid.uuid4().hex)).outcome is Outcome.UNKNOWN


async def test_revoking_a_family_spares_other_families(
    store: RefreshTokenStore, user: User
) -> None:
    revoked, kept = uuid.uuid4(), uuid.uuid4()
    in_revoked = await _add(store, user, revoked)
    in_kept = await _add(store, user, kept)

    await store.revoke_family(revoked)

    assert (await store.redeem(in_revoked)).outcome is Outcome.REUSED
    assert (await store.redeem(in_kept)).outcome is Outcome.ACCEPTED


async def test_revoking_a_user_revokes_all_their_families(
    store: RefreshTokenStore, user: User, other_user: User
) -> None:
    tokens = [await _add(store, user, uuid.uuid4()) for _ in range(2)]
    others = await _add(store, other_user, uuid.uuid4())

    await store.revoke_user(user.id)

    assert [(await store.redeem(token)).outcome for token in tokens] == [Outcome.REUSED] * 2
    assert (await store.redeem(others)).outcome is Outcome.ACCEPTED


async def test_purge_forgets_what_expired_before_the_cutoff(
    store: RefreshTokenStore, user: User
) -> None:
    live = await _add(store, user, uuid.uuid4())
    await _add(store, user, uuid.uuid4(), ttl=timedelta(seconds=30))

    purged = await store.purge(before=utcnow() + timedelta(minutes=1))

    assert purged == 1
    assert (await store.redeem(live)).outcome is Outcome.ACCEPTED
