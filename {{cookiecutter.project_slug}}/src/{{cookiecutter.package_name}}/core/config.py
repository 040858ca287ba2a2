"""Settings from the environment and `.env`, in nested groups (`AUTH__SECRET_KEY=...`)."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal, Self
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from limits import parse_many
from pydantic import (
    BaseModel,
    Field,
    FilePath,
    HttpUrl,
    IPvAnyNetwork,
    NameEmail,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - refused outside development
MIN_SECRET_LENGTH = 32
DATABASE_NAME = "{{ cookiecutter.package_name }}"
{%- if cookiecutter.database == "postgresql" %}
DEFAULT_DATABASE_URL = f"postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/{DATABASE_NAME}"
{%- elif cookiecutter.database == "mysql" %}
DEFAULT_DATABASE_URL = f"mysql+asyncmy://root@127.0.0.1:3306/{DATABASE_NAME}?charset=utf8mb4"
{%- else %}
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///./{DATABASE_NAME}.db"
{%- endif %}


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSSL(StrEnum):
    """TLS on the connections to PostgreSQL or MySQL (SQLite has no network to cross)."""

    DISABLE = "disable"  # plain TCP: loopback or a private network only
    REQUIRE = "require"  # encrypted; the server's certificate is not checked
    VERIFY_FULL = "verify-full"  # encrypted; certificate and host name checked against the CA


class EmailBackend(StrEnum):
    SMTP = "smtp"  # through the SMTP server of EMAIL__SMTP_HOST
    CONSOLE = "console"  # each message logged, nothing sent: development and tests only


class SmtpTLS(StrEnum):
    NONE = "none"  # plain SMTP: a local mail catcher or relay only
    STARTTLS = "starttls"  # plain connect, then upgraded (submission, port 587)
    TLS = "tls"  # TLS from the first byte (implicit TLS, port 465)


class EmailVerification(StrEnum):
    OFF = "off"  # no verification emails; VerifiedUserDep lets every user through
    OPTIONAL = "optional"  # sent on registration; routes opt in with VerifiedUserDep
    REQUIRED = "required"  # no sign-in before the address is verified


class AppSettings(BaseModel):
    name: str = "{{ cookiecutter.project_name }}"
    environment: Environment = Environment.DEVELOPMENT
    cors_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = False
    # Larger request bodies get 413 before anything parses them.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # On SIGTERM, in-flight requests get this long to finish before they are cancelled.
    graceful_shutdown_seconds: int = Field(default=20, gt=0)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto are believed;
    # from any other peer those headers are ignored.
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    # Where the links in emails point: `{frontend_url}/verify-email?token=...`. Required in
    # production; elsewhere this service's own address.
    frontend_url: HttpUrl | None = None
    api_docs: bool | None = Field(
        default=None,
        description="/docs, /redoc and /openapi.json; by default off in production, on elsewhere.",
    )

    @property
    def link_base(self) -> str:
        """APP__FRONTEND_URL without its trailing slash, or the development server's address."""
        if self.frontend_url is None:
            return "http://127.0.0.1:8000"
        return str(self.frontend_url).rstrip("/")

    @property
    def serves_api_docs(self) -> bool:
        if self.api_docs is None:
            return self.environment is not Environment.PRODUCTION
        return self.api_docs


class DatabaseSettings(BaseModel):
    # DATABASE_URL's password, given apart so it needs no URL-encoding; replaces any
    # password in the URL.
    password: SecretStr | None = None
    echo: bool = False
    # The pool is the process's cap on concurrent database work: past it, requests queue
    # for a connection. No overflow: an overflow connection is closed on return, so a busy
    # service would open and close connections all day. Per process; see the README's sizing.
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=0, ge=0)
    # How long a request waits for a free pooled connection, and for a new one to open;
    # past either, it gets a 503 instead of hanging.
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    connect_timeout_seconds: int = Field(default=5, ge=1)
    # A query that gets no answer this long (a hung server or network) fails with a 503.
    query_timeout_seconds: float = Field(default=30.0, gt=0)
    # Replace connections older than this, before servers or proxies drop them.
    pool_recycle_seconds: int = Field(default=1800, ge=1)
    # Test each connection on checkout: survives database restarts without one failed
    # request, at the price of a round trip per request.
    pool_pre_ping: bool = False
    # Unset: verify-full in production, disable elsewhere. Decided once, not tried per connect.
    ssl: DatabaseSSL | None = None
    # The CA bundle that signed the server's certificate, for verify-full; unset: the system's.
    ssl_root_cert: FilePath | None = None


class AuthSettings(BaseModel):
    secret_key: SecretStr | None = None
    issuer: str = "{{ cookiecutter.project_slug }}"
    audience: str = "{{ cookiecutter.project_slug }}"
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=60)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    # OWASP minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
    argon2_memory_kib: int = Field(default=19_456, ge=8_192)
    argon2_time_cost: int = Field(default=2, ge=1)
    email_verification: EmailVerification = EmailVerification.OPTIONAL
    # How long a password-reset link works; it also dies once used or the password changes.
    password_reset_ttl_minutes: int = Field(default=30, ge=5, le=24 * 60)


class EmailSettings(BaseModel):
    """Outgoing mail: the messages of the account flows, sent once their change has committed."""

    # Unset: console outside production. Production refuses console.
    backend: EmailBackend | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: SmtpTLS = SmtpTLS.STARTTLS
    # The CA bundle that signed the SMTP server's certificate; unset: the system's.
    smtp_ca_file: FilePath | None = None
    # The sender, "Name <address>" or a bare address; required with the smtp backend.
    from_address: NameEmail | None = None
    # Bounds each connection and SMTP command, so a hung server costs one attempt this long.
    timeout_seconds: float = Field(default=10.0, gt=0)


class RateLimitSettings(BaseModel):
    """Every limit of the API, in the `limits` notation ("10/minute", "100/hour;1000/day")."""
{% if cookiecutter.use_redis == "yes" %}
    # The counters live in the service's Redis, shared by every instance.
{%- else %}
    # The counters live in process memory: each instance counts on its own.
{%- endif %}
    enabled: bool = True
    # When the storage fails: "allow" serves the request and logs an error (fail open),
    # "deny" answers 503 (fail closed). Password checks never fail open: they are counted
    # in process memory meanwhile.
    on_storage_error: Literal["allow", "deny"] = "allow"
    # Per client address, on every /api route.
    default: str = "300/minute"
    # Password checks (login, password change) per client address.
    login: str = "10/minute"
    # Per client address, on the other auth routes.
    registration: str = "10/hour"
    refresh: str = "30/minute"
    # Password checks per account from one client address; registrations per email.
    account: str = "5/minute"
    # Password checks per account from all the addresses that never signed in to it.
    account_ceiling: str = "100/hour"
    # Requests that send an email, per client address and per destination account.
    email: str = "20/hour"
    email_per_account: str = "5/hour"

    @field_validator(
        "default",
        "login",
        "registration",
        "refresh",
        "account",
        "account_ceiling",
        "email",
        "email_per_account",
    )
    @classmethod
    def _check_notation(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            msg = f"invalid rate limit {value!r}: {error}"
            raise ValueError(msg) from error
        return value
{%- if cookiecutter.use_redis == "yes" %}


class RedisSettings(BaseModel):
    # Bounds every Redis call, so an unreachable Redis costs a request this long at most.
    socket_timeout_seconds: float = Field(default=1.0, gt=0)
    max_connections: int = Field(default=50, ge=1)


class CacheSettings(BaseModel):
    """The read cache in Redis; writes invalidate it, the TTL bounds what a missed one costs."""

    ttl_seconds: int = Field(default=60, ge=1)
    # A Redis of its own (with an eviction policy), so cache pressure never evicts the rate
    # limits and jobs in REDIS_URL's; unset, the cache shares REDIS_URL's Redis.
    redis_url: str | None = None
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}


class JobSettings(BaseModel):
    """Background jobs run by `{{ cookiecutter.package_name }} worker`."""

    # Cron expression (UTC) for the purge of expired refresh tokens.
    purge_refresh_tokens_cron: str = "17 * * * *"
    # How long a job's outcome stays readable at /api/v1/admin/jobs/{id}.
    result_ttl_seconds: int = Field(default=24 * 3600, ge=60)
{%- endif %}
{%- if cookiecutter.graphql == "yes" %}


class GraphQLSettings(BaseModel):
    """Limits on a GraphQL document, checked before anything runs; a refusal is invalid_query."""

    # Nesting of selections: the example schema needs 3 (items -> items -> owner).
    max_depth: int = Field(default=8, ge=1)
    # Aliases per document: each one can ask for the same costly field again.
    max_aliases: int = Field(default=15, ge=0)
    # Tokens per document, bounding the parser's work whatever the body limit lets in.
    max_tokens: int = Field(default=2000, ge=10)
    introspection: bool | None = Field(
        default=None, description="Schema introspection; by default on outside production only."
    )
{%- endif %}


class HttpClientSettings(BaseModel):
    """Calls to other services through `core.http_client` (HttpClientDep)."""

    # Each network step (connect, send, each read) waits this long at most.
    timeout_seconds: float = Field(default=5.0, gt=0)
    # A whole call, retries and their backoff included, ends within this.
    budget_seconds: float = Field(default=10.0, gt=0)
    # Consecutive failures (transport errors, 5xx) of one upstream that open its breaker,
    # and how long it stays open before a trial call.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=30.0, gt=0)


class LogSettings(BaseModel):
    level: str = "INFO"
    json_format: bool | None = Field(
        default=None, description="JSON lines; by default on in production, off elsewhere."
    )


class MetricsSettings(BaseModel):
    """Prometheus metrics at /metrics, optionally behind a bearer token."""

    bearer_token: SecretStr | None = None
{%- if cookiecutter.use_sentry == "yes" %}


class SentrySettings(BaseModel):
    """Error tracking; nothing is sent without a DSN."""

    dsn: SecretStr | None = None
    # Share of requests traced for Sentry's performance view; 0 sends errors only.
    traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
{%- endif %}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # The conventional variable name, read as is.
    database_url: str = DEFAULT_DATABASE_URL
{%- if cookiecutter.use_redis == "yes" %}
    redis_url: str = "redis://127.0.0.1:6379/0"
{%- endif %}
    app: AppSettings = Field(default_factory=AppSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
{%- if cookiecutter.use_redis == "yes" %}
    redis: RedisSettings = Field(default_factory=RedisSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
    jobs: JobSettings = Field(default_factory=JobSettings)
{%- endif %}
{%- if cookiecutter.graphql == "yes" %}
    graphql: GraphQLSettings = Field(default_factory=GraphQLSettings)
{%- endif %}
    http_client: HttpClientSettings = Field(default_factory=HttpClientSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
{%- if cookiecutter.use_sentry == "yes" %}
    sentry: SentrySettings = Field(default_factory=SentrySettings)
{%- endif %}

    @property
    def is_production(self) -> bool:
        return self.app.environment is Environment.PRODUCTION

    @property
    def secret_key(self) -> str:
        """The signing key; always set once validation has passed."""
        assert self.auth.secret_key is not None  # noqa: S101 - guaranteed by the validator
        return self.auth.secret_key.get_secret_value()

    @property
    def database_ssl(self) -> DatabaseSSL:
        if self.db.ssl is not None:
            return self.db.ssl
        return DatabaseSSL.VERIFY_FULL if self.is_production else DatabaseSSL.DISABLE

    @property
    def email_backend(self) -> EmailBackend:
        if self.email.backend is not None:
            return self.email.backend
        return EmailBackend.SMTP if self.is_production else EmailBackend.CONSOLE

    @property
    def log_as_json(self) -> bool:
        return self.is_production if self.log.json_format is None else self.log.json_format

    def loggable(self) -> dict[str, Any]:
        """The effective configuration, safe to log: secrets and the secrets in URLs masked."""
        values = self.model_dump(mode="json")  # SecretStr values dump as "**********"
        return {name: _mask_urls(value) for name, value in values.items()}

    @model_validator(mode="after")
    def _check_secret_key(self) -> Self:
        secret = self.auth.secret_key.get_secret_value() if self.auth.secret_key else ""
        weak = secret in {"", PLACEHOLDER_SECRET} or len(secret) < MIN_SECRET_LENGTH
        if self.is_production:
            if weak:
                msg = (
                    f"AUTH__SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters in production"
                )
                raise ValueError(msg)
            if self.app.cors_allow_credentials and "*" in self.app.cors_origins:
                msg = "APP__CORS_ORIGINS cannot be '*' with credentials allowed in production"
                raise ValueError(msg)
            if self.app.cors_allow_credentials and "null" in self.app.cors_origins:
                msg = (
                    "APP__CORS_ORIGINS cannot contain 'null' with credentials allowed in "
                    "production: any sandboxed iframe or local file sends Origin: null"
                )
                raise ValueError(msg)
        elif weak:
            # Outside production a missing key gets a per-process one: tokens die on restart.
            self.auth.secret_key = SecretStr(secrets.token_urlsafe(48))
        return self

    @model_validator(mode="after")
    def _check_database_ssl(self) -> Self:
        if self.db.ssl_root_cert is not None and self.database_ssl is not DatabaseSSL.VERIFY_FULL:
            msg = (
                f"DB__SSL_ROOT_CERT is read only with DB__SSL=verify-full, and DB__SSL is "
                f"{self.database_ssl.value} here"
            )
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _check_email(self) -> Self:
        if self.is_production and self.email_backend is EmailBackend.CONSOLE:
            msg = (
                "EMAIL__BACKEND=console only logs messages; production needs "
                "EMAIL__BACKEND=smtp with EMAIL__SMTP_HOST and EMAIL__FROM_ADDRESS"
            )
            raise ValueError(msg)
        if self.email_backend is EmailBackend.SMTP:
            missing = [
                name
                for name, value in (
                    ("EMAIL__SMTP_HOST", self.email.smtp_host),
                    ("EMAIL__FROM_ADDRESS", self.email.from_address),
                )
                if not value
            ]
            if missing:
                default = " (production's default)" if self.email.backend is None else ""
                msg = f"EMAIL__BACKEND=smtp{default} needs {' and '.join(missing)}"
                raise ValueError(msg)
        if (self.email.smtp_username is None) != (self.email.smtp_password is None):
            msg = "EMAIL__SMTP_USERNAME and EMAIL__SMTP_PASSWORD are set together or not at all"
            raise ValueError(msg)
        if (
            self.is_production
            and self.email.smtp_password is not None
            and self.email.smtp_tls is SmtpTLS.NONE
        ):
            msg = (
                "EMAIL__SMTP_TLS=none would send EMAIL__SMTP_PASSWORD in the clear; use "
                "starttls or tls in production"
            )
            raise ValueError(msg)
        if self.is_production and self.app.frontend_url is None:
            msg = (
                "APP__FRONTEND_URL must be set in production: the links in emails "
                "(password reset, email verification) point there"
            )
            raise ValueError(msg)
        return self


URL_MASK = "***"
# Query parameters whose lower-cased name contains one of these carry credentials
# (?password=, ?api_key=, ?access_token=, ?sig=); masking a harmless one costs nothing.
SECRET_PARAMETER_FRAGMENTS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "sig")


def mask_url(url: str) -> str:
    """The URL with its password and secret-looking query values replaced by ***.

    For every URL that is logged or put in an error message.
    """
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return URL_MASK  # unparseable, so no part of it can be told safe
    masked = url
    if has_password:
        host = parts.netloc.rpartition("@")[2]
        masked = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{URL_MASK}@{host}"))
    if parts.query:
        # By hand, not urlunsplit: it would drop the empty host of sqlite:///file?key=...
        base, _, rest = masked.partition("?")
        query, hash_sign, fragment = rest.partition("#")
        query = "&".join(_mask_parameter(parameter) for parameter in query.split("&"))
        masked = f"{base}?{query}{hash_sign}{fragment}"
    return masked


def _mask_parameter(parameter: str) -> str:
    name, equals, _value = parameter.partition("=")
    lowered = unquote_plus(name).lower()
    if equals and any(fragment in lowered for fragment in SECRET_PARAMETER_FRAGMENTS):
        return f"{name}={URL_MASK}"
    return parameter


def _mask_urls(value: object) -> object:
    """`value` with every string in it that looks like a URL passed through mask_url."""
    if isinstance(value, str):
        return mask_url(value) if "://" in value else value
    if isinstance(value, dict):
        return {key: _mask_urls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_urls(item) for item in value]
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
