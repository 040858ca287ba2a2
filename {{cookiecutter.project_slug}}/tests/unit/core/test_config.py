"""Settings: sources, defaults and the production guard rails."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    AuthSettings,
    DatabaseSettings,
    DatabaseSSL,
    EmailBackend,
    EmailSettings,
    Environment,
    MetricsSettings,
    RateLimitSettings,
    Settings,
    SmtpTLS,
    get_settings,
    mask_url,
)
from {{ cookiecutter.package_name }}.core.db import database_url, tls_context
from tests.conftest import FRONTEND_URL, PRODUCTION_EMAIL, production_app

STRONG_SECRET = "x" * 40
ENV_EXAMPLE = Path(__file__).parents[3] / ".env.example"
# A documented variable: `NAME=value`, or `# NAME=value` for one without a default.
DOCUMENTED = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _environment_names() -> set[str]:
    """Every variable Settings reads: top-level fields as is, group fields as GROUP__NAME."""
    names = set()
    for name, field in Settings.model_fields.items():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseModel):
            names |= {f"{name}__{inner}".upper() for inner in group.model_fields}
        else:
            names.add(name.upper())
    return names


def test_env_example_documents_every_setting_and_no_other() -> None:
    documented = set(DOCUMENTED.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))

    # OTEL_* variables belong to OpenTelemetry's SDK, which reads them itself.
    assert {name for name in documented if not name.startswith("OTEL_")} == _environment_names()


def test_database_url_is_read_from_the_conventional_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./from-env.db")

    assert Settings(_env_file=None).database_url == "sqlite+aiosqlite:///./from-env.db"


def test_nested_settings_use_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH__ACCESS_TOKEN_TTL_SECONDS", "120")
    monkeypatch.setenv("APP__CORS_ORIGINS", '["https://app.example.com"]')

    settings = Settings(_env_file=None)

    assert settings.auth.access_token_ttl_seconds == 120
    assert settings.app.cors_origins == ["https://app.example.com"]


def test_settings_are_read_from_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("LOG__LEVEL=DEBUG\n")
    get_settings.cache_clear()

    assert get_settings().log.level == "DEBUG"
    get_settings.cache_clear()


def test_development_without_secret_gets_a_random_one() -> None:
    first = Settings(_env_file=None)
    second = Settings(_env_file=None)

    assert len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key


@pytest.mark.parametrize(
    "secret", [None, "change-me", "too-short"], ids=["missing", "placeholder", "short"]
)
def test_production_refuses_weak_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="AUTH__SECRET_KEY"):
        Settings(
            _env_file=None,
            app=AppSettings(environment=Environment.PRODUCTION),
            auth=AuthSettings(secret_key=secret),
        )


def test_production_keeps_a_strong_secret_and_logs_json() -> None:
    settings = Settings(
        _env_file=None,
        app=production_app(),
        auth=AuthSettings(secret_key=STRONG_SECRET),
        email=PRODUCTION_EMAIL,
    )

    assert settings.secret_key == STRONG_SECRET
    assert settings.log_as_json


@pytest.mark.parametrize(
    ("email", "message"),
    [
        (
            EmailSettings(),
            "needs EMAIL__SMTP_HOST and EMAIL__FROM_ADDRESS",
        ),
        (
            EmailSettings(backend=EmailBackend.CONSOLE, smtp_host="mail.example.com"),
            "EMAIL__BACKEND=console only logs",
        ),
        (
            EmailSettings(backend=EmailBackend.SMTP, smtp_host="mail.example.com"),
            "EMAIL__BACKEND=smtp needs EMAIL__FROM_ADDRESS",
        ),
        (
            EmailSettings(from_address="noreply@example.com"),
            r"EMAIL__BACKEND=smtp \(production's default\) needs EMAIL__SMTP_HOST \[",
        ),
    ],
    ids=["unset", "console", "no-sender", "no-host"],
)
def test_production_refuses_to_start_without_a_mail_server(
    email: EmailSettings, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(
            _env_file=None,
            app=production_app(),
            auth=AuthSettings(secret_key=STRONG_SECRET),
            email=email,
        )


def test_production_refuses_to_start_without_a_frontend_url() -> None:
    with pytest.raises(ValidationError, match="APP__FRONTEND_URL must be set in production"):
        Settings(
            _env_file=None,
            app=AppSettings(environment=Environment.PRODUCTION),
            auth=AuthSettings(secret_key=STRONG_SECRET),
            email=PRODUCTION_EMAIL,
        )


def test_production_refuses_smtp_credentials_in_the_clear() -> None:
    email = EmailSettings(
        backend=EmailBackend.SMTP,
        smtp_host="mail.example.com",
        smtp_tls=SmtpTLS.NONE,
        smtp_username="app",
        smtp_password=SecretStr("p"),
        from_address="noreply@example.com",
    )

    with pytest.raises(ValidationError, match="EMAIL__SMTP_TLS=none"):
        Settings(
            _env_file=None,
            app=production_app(),
            auth=AuthSettings(secret_key=STRONG_SECRET),
            email=email,
        )


@pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
def test_mail_is_only_logged_by_default_outside_production(environment: Environment) -> None:
    settings = Settings(_env_file=None, app=AppSettings(environment=environment))

    assert settings.email_backend is EmailBackend.CONSOLE


def test_an_smtp_username_needs_its_password() -> None:
    with pytest.raises(ValidationError, match="EMAIL__SMTP_USERNAME and EMAIL__SMTP_PASSWORD"):
        Settings(_env_file=None, email=EmailSettings(smtp_username="app"))


def test_log_format_can_be_forced() -> None:
    settings = Settings(_env_file=None, log={"json_format": True})

    assert settings.log_as_json


def test_invalid_rate_limit_notation_is_rejected() -> None:
    with pytest.raises(ValidationError, match="invalid rate limit"):
        RateLimitSettings(login="often")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://app:s3cret@db:5432/app", "postgresql+asyncpg://app:***@db:5432/app"),
        ("async+redis://:s3cret@cache:6379/0", "async+redis://:***@cache:6379/0"),
        ("sqlite+aiosqlite:///./app.db", "sqlite+aiosqlite:///./app.db"),
        ("memory://", "memory://"),
        (
            "postgresql+asyncpg://app@db/app?password=s3cret&ssl=require",
            "postgresql+asyncpg://app@db/app?password=***&ssl=require",
        ),
        (
            "https://api.example.com/v1?API_KEY=s3cret&Access_Token=s3cret&page=2#top",
            "https://api.example.com/v1?API_KEY=***&Access_Token=***&page=2#top",
        ),
        (
            "sqlite+aiosqlite:///./app.db?key=s3cret",
            "sqlite+aiosqlite:///./app.db?key=***",
        ),
        (
            (
                "redis://u:s3cret@cache/0?passwd=s3cret&pwd=s3cret&secret=s3cret&auth=s3cret"
                "&credentials=s3cret&signature=s3cret&apikey=s3cret&db=1"
            ),
            (
                "redis://u:***@cache/0?passwd=***&pwd=***&secret=***&auth=***"
                "&credentials=***&signature=***&apikey=***&db=1"
            ),
        ),
        ("http://[::1/broken?token=s3cret", "***"),
    ],
    ids=[
        "user-and-password",
        "password-only",
        "no-credentials",
        "no-host",
        "query-password",
        "query-keys-any-case",
        "query-on-empty-host",
        "every-secret-name",
        "unparseable",
    ],
)
def test_url_secrets_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_loggable_configuration_masks_every_secret() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://app:db-password@db:5432/app?sslpassword=ssl-password",
        auth=AuthSettings(secret_key=STRONG_SECRET),
        metrics=MetricsSettings(bearer_token=SecretStr("metrics-password")),
        db=DatabaseSettings(password=SecretStr("separate-password")),
    )

    loggable = settings.loggable()

    text = repr(loggable)
    for secret in (
        STRONG_SECRET,
        "db-password",
        "ssl-password",
        "metrics-password",
        "separate-password",
    ):
        assert secret not in text
    assert loggable["database_url"] == "postgresql+asyncpg://app:***@db:5432/app?sslpassword=***"
    assert loggable["auth"]["secret_key"] == "**********"
    assert loggable["auth"]["access_token_ttl_seconds"] == 900


# Every character that breaks a password written into a URL unencoded.
AWKWARD_PASSWORD = "p@ss:w/o%rd#?& 1"


def test_a_database_password_given_apart_needs_no_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://app@db:5432/app")
    monkeypatch.setenv("DB__PASSWORD", AWKWARD_PASSWORD)

    url = database_url(Settings(_env_file=None))

    assert (url.username, url.password, url.host, url.port) == ("app", AWKWARD_PASSWORD, "db", 5432)
    assert url.database == "app"
    # SQLAlchemy encodes it when the URL is written out, and reads it back intact.
    assert make_url(url.render_as_string(hide_password=False)).password == AWKWARD_PASSWORD


def test_a_database_password_given_apart_replaces_the_urls() -> None:
    settings = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://app:old@db:5432/app",
        db=DatabaseSettings(password=SecretStr("new")),
    )

    assert database_url(settings).password == "new"


def test_without_a_separate_password_the_urls_own_is_used() -> None:
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://app:p%40ss@db/app")

    assert database_url(settings).password == "p@ss"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (Environment.PRODUCTION, DatabaseSSL.VERIFY_FULL),
        (Environment.DEVELOPMENT, DatabaseSSL.DISABLE),
        (Environment.TEST, DatabaseSSL.DISABLE),
    ],
)
def test_database_tls_is_verified_by_default_in_production_only(
    environment: Environment, expected: DatabaseSSL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DB__SSL", raising=False)  # the suite's own choice, see conftest.py
    settings = Settings(
        _env_file=None,
        app=AppSettings(environment=environment, frontend_url=FRONTEND_URL),
        auth=AuthSettings(secret_key=STRONG_SECRET),
        email=PRODUCTION_EMAIL,
    )

    assert settings.database_ssl is expected


def test_db_ssl_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB__SSL", "require")

    assert Settings(_env_file=None).database_ssl is DatabaseSSL.REQUIRE


def test_each_ssl_mode_gets_its_tls_context() -> None:
    def context(mode: DatabaseSSL) -> ssl.SSLContext | None:
        return tls_context(Settings(_env_file=None, db=DatabaseSettings(ssl=mode)))

    required, verified = context(DatabaseSSL.REQUIRE), context(DatabaseSSL.VERIFY_FULL)
    assert context(DatabaseSSL.DISABLE) is None
    assert required is not None
    assert (required.check_hostname, required.verify_mode) == (False, ssl.CERT_NONE)
    assert verified is not None
    assert (verified.check_hostname, verified.verify_mode) == (True, ssl.CERT_REQUIRED)


def test_a_root_certificate_is_read_only_with_verify_full(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read: refused before\n")

    with pytest.raises(ValidationError, match="DB__SSL_ROOT_CERT is read only with DB__SSL=ve"):
        Settings(_env_file=None, db=DatabaseSettings(ssl=DatabaseSSL.REQUIRE, ssl_root_cert=bundle))


def test_a_missing_root_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ssl_root_cert"):
        DatabaseSettings(ssl=DatabaseSSL.VERIFY_FULL, ssl_root_cert=tmp_path / "missing.pem")
