"""Logs: one JSON shape from structlog and the standard library; console colours on a terminal."""

from __future__ import annotations

import json
import logging
import os
import pty
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import pytest
import structlog

from {{ cookiecutter.package_name }}.core.config import LogSettings
from {{ cookiecutter.package_name }}.core.logging import configure_logging, wants_colors
from tests.conftest import make_settings


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def _log_json(level: str = "INFO") -> None:
    configure_logging(
        make_settings("sqlite+aiosqlite://", log=LogSettings(level=level, json_format=True))
    )


def test_structlog_and_standard_library_lines_have_one_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _log_json()
    structlog.get_logger("app.module").info("from_structlog", count=1)
    logging.getLogger("a.library").warning("from %s", "logging")

    ours, theirs = _json_lines(capsys)
    assert ours == {
        "event": "from_structlog",
        "count": 1,
        "level": "info",
        "logger": "app.module",
        "timestamp": ours["timestamp"],
    }
    assert theirs == {
        "event": "from logging",
        "level": "warning",
        "logger": "a.library",
        "timestamp": theirs["timestamp"],
    }
    for line in (ours, theirs):
        assert line["timestamp"].endswith("Z")
        assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None


def test_a_value_the_fast_serializer_refuses_is_still_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _log_json()
    structlog.get_logger().info("huge", value=2**70, key_types={1: "int key"})

    [line] = _json_lines(capsys)
    assert line["value"] == 2**70
    assert line["key_types"] == {"1": "int key"}


def test_lines_below_the_level_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    _log_json("WARNING")
    structlog.get_logger().info("dropped")
    logging.getLogger("a.library").info("dropped too")
    structlog.get_logger().warning("kept")

    assert [line["event"] for line in _json_lines(capsys)] == ["kept"]


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
