"""Item domain errors."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import NotFoundError


class ItemNotFoundError(NotFoundError):
    code = "item_not_found"
    title = "Item not found"
