"""Request and response bodies of two-factor login."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.accounts.schemas import AccountToken, CurrentPassword
from {{ cookiecutter.package_name }}.core.schemas import SingleLineText

# A six-digit TOTP code, or a recovery code (with or without its dashes).
MfaCode = Annotated[SingleLineText, Field(min_length=6, max_length=32)]


class TotpSetupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: CurrentPassword


class TotpSetup(BaseModel):
    """What an authenticator app needs: scan `otpauth_uri` as a QR code, or type `secret`."""

    secret: str
    otpauth_uri: str


class TotpCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: MfaCode


class TotpDisable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: CurrentPassword
    code: MfaCode


class RecoveryCodes(BaseModel):
    """Shown once: each code signs in once in place of the authenticator."""

    recovery_codes: list[str]


class MfaChallenge(BaseModel):
    """Login's answer when the account has two-factor login on: send a code with the token."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int = Field(description="Lifetime of the MFA token, in seconds.")


class MfaLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mfa_token: AccountToken
    code: MfaCode
