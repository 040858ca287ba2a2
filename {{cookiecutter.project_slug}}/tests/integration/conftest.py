"""Fixtures for tests that run the command line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.config import get_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project-like directory with its own SQLite database and no inherited settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("AUTH__ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("AUTH__ARGON2_TIME_COST", "1")
    monkeypatch.delenv("APP__ENVIRONMENT", raising=False)
    monkeypatch.delenv("AUTH__SECRET_KEY", raising=False)
    # As in a fresh process: no handler left by an app another test built (and its stream).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
