"""DB__SSL against a real PostgreSQL and MariaDB with TLS on: each mode does what it says.

Each server takes plain and TLS connections alike, so what a connection used is read from
the server itself (`pg_stat_ssl`, the session's `Ssl_cipher`). Its certificate names
`localhost` only, signed by a CA of the test's own, as a managed database's is signed by
its provider's. The nox session of each database runs its half (`-k postgresql`, `-k mysql`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import bake_project, run, uv
from tests.servers import MariaDBServer, PostgresServer, mariadb_server, postgres_server

pytestmark = pytest.mark.slow
DatabaseServer = PostgresServer | MariaDBServer

# Per database: what the server says of the connection asking, truthy when it is TLS.
TLS_IN_USE = {
    "postgresql": "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    "mysql": "SELECT variable_value FROM information_schema.session_status"
    " WHERE variable_name = 'Ssl_cipher'",
}
# Connects as the service does (its engine and startup check); prints TLS in use, or the error.
PROBE = """
import asyncio
from sqlalchemy import text
from my_service.core.config import get_settings
from my_service.core.db import DatabaseUnavailableError, check_database, create_engine

async def main() -> None:
    engine = create_engine(get_settings())
    try:
        await check_database(engine, timeout_seconds=10)
        async with engine.connect() as connection:
            in_use = (await connection.execute(text({query!r}))).scalar_one()
            print("tls" if in_use else "plain")
    except DatabaseUnavailableError as error:
        print(error)
    finally:
        await engine.dispose()

asyncio.run(main())
"""


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, and a server certificate it signed for the host name `localhost`."""
    root = tmp_path_factory.mktemp("tls")
    ca_key, ca, key, request, cert = (
        root / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
             "-keyout", ca_key, "-out", ca)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", key, "-out", request)  # fmt: skip
    extensions = root / "san.cnf"
    extensions.write_text("subjectAltName = DNS:localhost\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-days", "2", "-extfile", extensions, "-out", cert)  # fmt: skip
    return {"ca": ca, "cert": cert, "key": key}


@pytest.fixture(scope="module", params=sorted(TLS_IN_USE))
def database(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(database: str, certificates: dict[str, Path]) -> Iterator[DatabaseServer]:
    tls = (certificates["cert"], certificates["key"])
    with postgres_server(tls=tls) if database == "postgresql" else mariadb_server(tls=tls) as db:
        db.create_database("app")
        yield db


@pytest.fixture(scope="module")
def project(database: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = bake_project(tmp_path_factory.mktemp("bake"), {"database": database})
    run(uv(), "sync", "--locked", "--no-dev", cwd=path)
    return path


@pytest.fixture
def connect(project: Path, database: str) -> Callable[..., str]:
    """Run the probe with DATABASE_URL `url` and the settings given; return what it printed."""
    probe = PROBE.format(query=TLS_IN_USE[database])

    def connect(url: str, **settings: str) -> str:
        env = {"DATABASE_URL": url, "AUTH__SECRET_KEY": "x" * 40, **settings}
        return run(
            uv(), "run", "--no-dev", "python", "-c", probe, cwd=project, env=env
        ).stdout.strip()

    return connect


def test_disable_connects_in_plain_text_without_trying_tls(
    connect: Callable[..., str], server: DatabaseServer
) -> None:
    # asyncpg's own default would have tried TLS first, and got it from this server.
    assert connect(server.url("app"), DB__SSL="disable") == "plain"


def test_require_encrypts_without_checking_the_certificate(
    connect: Callable[..., str], server: DatabaseServer
) -> None:
    assert connect(server.url("app"), DB__SSL="require") == "tls"


def test_verify_full_accepts_the_certificate_its_ca_signed_for_the_host(
    connect: Callable[..., str], server: DatabaseServer, certificates: dict[str, Path]
) -> None:
    url = server.url("app").replace("127.0.0.1", "localhost")
    ca = str(certificates["ca"])

    assert connect(url, DB__SSL="verify-full", DB__SSL_ROOT_CERT=ca) == "tls"


def test_verify_full_refuses_another_host_name(
    connect: Callable[..., str], server: DatabaseServer, certificates: dict[str, Path]
) -> None:
    ca = str(certificates["ca"])
    answer = connect(server.url("app"), DB__SSL="verify-full", DB__SSL_ROOT_CERT=ca)

    assert answer.startswith("cannot reach the database at"), answer
    assert "SSLCertVerificationError" in answer
    assert "DB__SSL" in answer


def test_production_verifies_by_default_and_refuses_an_unknown_ca(
    connect: Callable[..., str], server: DatabaseServer
) -> None:
    url = server.url("app").replace("127.0.0.1", "localhost")
    answer = connect(
        url,
        APP__ENVIRONMENT="production",
        # Production refuses to start without them; the probe sends no mail.
        APP__FRONTEND_URL="https://app.example.com",
        EMAIL__SMTP_HOST="127.0.0.1",
        EMAIL__FROM_ADDRESS="noreply@example.com",
    )

    assert "SSLCertVerificationError" in answer, answer
