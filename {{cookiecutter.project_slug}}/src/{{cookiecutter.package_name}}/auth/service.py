"""Registration, credential checks and token issuance."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.exceptions import (
    InvalidCredentialsError,
    InvalidTokenError,
)
from {{ cookiecutter.package_name }}.auth.schemas import TokenPair
from {{ cookiecutter.package_name }}.core import security
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import release_connection
from {{ cookiecutter.package_name }}.core.security import PasswordHasher, TokenType
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.exceptions import EmailAlreadyRegisteredError
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserCreate


async def register(session: AsyncSession, hasher: PasswordHasher, *, data: UserCreate) -> User:
    if await users_service.get_by_email(session, email=data.email) is not None:
        raise EmailAlreadyRegisteredError
    await release_connection(session)
    hashed_password = await hasher.hash(data.password)
    return await users_service.create(
        session, email=data.email, hashed_password=hashed_password, full_name=data.full_name
    )


async def authenticate(
    session: AsyncSession, hasher: PasswordHasher, *, email: str, password: str
) -> User:
    """Return the active user with these credentials, or raise InvalidCredentialsError."""
    user = await users_service.get_by_email(session, email=email)
    await release_connection(session)
    # An unknown email still costs one hash, so timing does not reveal which emails exist.
    valid, new_hash = await hasher.verify(password, user.hashed_password if user else None)
    if user is None or not valid or not user.is_active:
        raise InvalidCredentialsError
    if new_hash is not None:
        session.add(user)
        await users_service.update(session, user, hashed_password=new_hash)
    return user


def issue_tokens(settings: Settings, user: User) -> TokenPair:
    subject = str(user.id)
    access_token, expires_in = security.create_token(
        settings, subject=subject, token_type=TokenType.ACCESS
    )
    refresh_token, _ = security.create_token(
        settings, subject=subject, token_type=TokenType.REFRESH
    )
    return TokenPair(access_token=access_token, refresh_token=refresh_token, expires_in=expires_in)


async def user_from_token(
    session: AsyncSession, settings: Settings, token: str, *, token_type: TokenType
) -> User:
    """The active user a valid token of `token_type` was issued to, or InvalidTokenError."""
    try:
        claims = security.decode_token(settings, token, expected_type=token_type)
        user_id = uuid.UUID(claims.subject)
    except (security.InvalidTokenError, ValueError) as error:
        raise InvalidTokenError from error
    user = await users_service.get(session, user_id)
    if user is None or not user.is_active:
        raise InvalidTokenError
    return user


async def refresh(session: AsyncSession, settings: Settings, *, refresh_token: str) -> TokenPair:
    user = await user_from_token(session, settings, refresh_token, token_type=TokenType.REFRESH)
    return issue_tokens(settings, user)
