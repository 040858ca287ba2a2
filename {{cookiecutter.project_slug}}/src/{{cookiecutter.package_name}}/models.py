"""Every domain's ORM models, imported once: the metadata Alembic compares against."""

from {{ cookiecutter.package_name }}.accounts.models import AccountToken
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.db import Base
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.mfa.models import RecoveryCode, TotpAuthenticator
from {{ cookiecutter.package_name }}.users.models import User

__all__ = [
    "AccountToken",
    "Base",
    "Item",
    "RecoveryCode",
    "RefreshToken",
    "TotpAuthenticator",
    "User",
]
