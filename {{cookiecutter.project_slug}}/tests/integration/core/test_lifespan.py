"""Startup and shutdown: the effective configuration logged once, fail-fast in production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    AuthSettings,
    Environment,
    LogSettings,
    MetricsSettings,
)
from {{ cookiecutter.package_name }}.core.db import DatabaseUnavailableError
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import (
    FRONTEND_URL,
    PRODUCTION_EMAIL,
    TEST_SECRET_KEY,
    make_settings,
    production_app,
    running,
)

JSON_LOGS = LogSettings(json_format=True)


def _events(output: str, name: str) -> list[dict[str, object]]:
    lines = (json.loads(line) for line in output.splitlines() if line)
    return [line for line in lines if line["event"] == name]


async def test_startup_logs_the_effective_configuration_once_without_secrets(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = MetricsSettings(bearer_token=SecretStr("metrics-token-0123456789"))
    app = create_app(make_settings(database_url, log=JSON_LOGS, metrics=metrics))
    async with running(app) as client:
        await client.get("/health/live")

    output = capsys.readouterr().out
    [startup] = _events(output, "startup")
    configuration = startup["configuration"]
    assert isinstance(configuration, dict)
    assert configuration["app"]["environment"] == "test"
    assert configuration["auth"]["secret_key"] == "**********"
    assert configuration["metrics"]["bearer_token"] == "**********"
    assert TEST_SECRET_KEY not in output
    assert "metrics-token-0123456789" not in output
    assert len(_events(output, "shutdown")) == 1


async def test_production_startup_checks_the_database(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        database_url,
        app=production_app(),
        email=PRODUCTION_EMAIL,
        auth=AuthSettings(secret_key=TEST_SECRET_KEY),
        log=JSON_LOGS,
    )
    async with running(create_app(settings)) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 200, response.text
    assert _events(capsys.readouterr().out, "startup_failed") == []


async def test_production_startup_fails_fast_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-directory" / "app.db"
    settings = make_settings(
        f"sqlite+aiosqlite:///{missing}",
        app=production_app(),
        email=PRODUCTION_EMAIL,
        auth=AuthSettings(secret_key=TEST_SECRET_KEY),
        log=JSON_LOGS,
    )

    with pytest.raises(DatabaseUnavailableError, match="cannot reach the database at sqlite"):
        async with running(create_app(settings)):
            pass  # pragma: no cover - startup fails before the body runs

    [failure] = _events(capsys.readouterr().out, "startup_failed")
    assert str(missing) in str(failure["reason"])


@pytest.mark.parametrize(
    ("environment", "token", "warnings_expected"),
    [
        (Environment.PRODUCTION, None, 1),
        (Environment.PRODUCTION, SecretStr("metrics-token-0123456789"), 0),
        (Environment.TEST, None, 0),
    ],
    ids=["production-without-token", "production-with-token", "test-without-token"],
)
async def test_startup_warns_when_production_metrics_are_open(
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    environment: Environment,
    token: SecretStr | None,
    warnings_expected: int,
) -> None:
    settings = make_settings(
        database_url,
        app=AppSettings(environment=environment, frontend_url=FRONTEND_URL),
        auth=AuthSettings(secret_key=TEST_SECRET_KEY),
        email=PRODUCTION_EMAIL,
        log=JSON_LOGS,
        metrics=MetricsSettings(bearer_token=token),
    )
    async with running(create_app(settings)):
        pass

    warnings = _events(capsys.readouterr().out, "metrics_unprotected")
    assert len(warnings) == warnings_expected
    for warning in warnings:
        assert warning["level"] == "warning"
        assert warning["setting"] == "METRICS__BEARER_TOKEN"
