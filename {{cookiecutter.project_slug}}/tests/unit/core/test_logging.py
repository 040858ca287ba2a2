"""Console logs: colours on a terminal only."""

from __future__ import annotations

import os
import pty
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from {{ cookiecutter.package_name }}.core.logging import wants_colors


@pytest.fixture(autouse=True)
def _no_colour_preference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def terminal() -> Iterator[TextIO]:
    """A real terminal: the follower end of a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w") as stream:
            yield stream
    finally:
        os.close(leader)


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[TextIO]:
    with (tmp_path / "app.log").open("w") as stream:
        yield stream


def test_a_terminal_gets_colours(terminal: TextIO) -> None:
    assert wants_colors(terminal)


def test_a_file_gets_none(log_file: TextIO) -> None:
    assert not wants_colors(log_file)


def test_no_color_turns_them_off_on_a_terminal(
    terminal: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")

    assert not wants_colors(terminal)


def test_an_empty_no_color_is_unset(terminal: TextIO, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")

    assert wants_colors(terminal)


def test_force_color_turns_them_on_in_a_file(
    log_file: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")

    assert wants_colors(log_file)
