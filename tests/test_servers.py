"""The helpers that start the real servers the tests use (tests/servers.py)."""

from __future__ import annotations

from pathlib import Path

from tests.servers import log_tail


def test_a_log_tail_keeps_the_error_lines_that_advice_pushed_out(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    advice = [f"advice line {number}" for number in range(30)]
    log.write_text("\n".join(["starting", "[ERROR] Can't create test file", *advice]) + "\n")

    tail = log_tail(log, lines=5).splitlines()

    assert tail == ["[ERROR] Can't create test file", *advice[-5:]]


def test_a_missing_log_is_said_so(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "absent.log") == f"(no log at {tmp_path / 'absent.log'})"
