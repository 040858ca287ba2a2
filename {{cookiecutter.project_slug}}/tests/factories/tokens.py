"""Token claims for tests that sign their own tokens, valid unless overridden."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from {{ cookiecutter.package_name }}.core.config import Settings


def claims_for(settings: Settings, subject: str, **overrides: object) -> dict[str, object]:
    """The claims of a valid access token for `subject`; an override of None drops a claim."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "type": "access",
        "jti": uuid.uuid4().hex,
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}
