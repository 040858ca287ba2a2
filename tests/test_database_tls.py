"""DB__SSL against a real PostgreSQL with TLS on: each mode does what it says, and no more.

The server takes plain and TLS connections alike, so what a connection used is read from
the server's own `pg_stat_ssl`. Its certificate names `localhost` only, signed by a CA of
the test's own, as a managed database's is signed by its provider's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import bake_project, run, uv
from tests.servers import PostgresServer, postgres_server

pytestmark = pytest.mark.slow

# Connects as the service does (its engine and startup check); prints TLS in use, or the error.
PROBE = """
import asyncio
from sqlalchemy import text
from {package}.core.config import get_settings
from {package}.core.db import DatabaseUnavailableError, check_database, create_engine

async def main() -> None:
    engine = create_engine(get_settings())
    try:
        await check_database(engine, timeout_seconds=10)
        async with engine.connect() as connection:
            query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            print("tls" if (await connection.execute(text(query))).scalar_one() else "plain")
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


@pytest.fixture(scope="module")
def server(certificates: dict[str, Path]) -> Iterator[PostgresServer]:
    with postgres_server(tls=(certificates["cert"], certificates["key"])) as postgres:
        postgres.create_database("app")
        yield postgres


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = bake_project(tmp_path_factory.mktemp("bake"), {"database": "postgresql"})
    run(uv(), "sync", "--locked", "--no-dev", cwd=path)
    return path


def _connect(project: Path, url: str, **settings: str) -> str:
    env = {"DATABASE_URL": url, "AUTH__SECRET_KEY": "x" * 40, **settings}
    probe = PROBE.format(package="my_service")
    return run(uv(), "run", "--no-dev", "python", "-c", probe, cwd=project, env=env).stdout.strip()


def test_disable_connects_in_plain_text_without_trying_tls(
    project: Path, server: PostgresServer
) -> None:
    # asyncpg's own default would have tried TLS first, and got it from this server.
    assert _connect(project, server.url("app"), DB__SSL="disable") == "plain"


def test_require_encrypts_without_checking_the_certificate(
    project: Path, server: PostgresServer
) -> None:
    assert _connect(project, server.url("app"), DB__SSL="require") == "tls"


def test_verify_full_accepts_the_certificate_its_ca_signed_for_the_host(
    project: Path, server: PostgresServer, certificates: dict[str, Path]
) -> None:
    url = server.url("app").replace("127.0.0.1", "localhost")
    ca = str(certificates["ca"])

    assert _connect(project, url, DB__SSL="verify-full", DB__SSL_ROOT_CERT=ca) == "tls"


def test_verify_full_refuses_another_host_name(
    project: Path, server: PostgresServer, certificates: dict[str, Path]
) -> None:
    ca = str(certificates["ca"])
    answer = _connect(project, server.url("app"), DB__SSL="verify-full", DB__SSL_ROOT_CERT=ca)

    assert answer.startswith("cannot reach the database at"), answer
    assert "SSLCertVerificationError" in answer
    assert "DB__SSL" in answer


def test_production_verifies_by_default_and_refuses_an_unknown_ca(
    project: Path, server: PostgresServer
) -> None:
    url = server.url("app").replace("127.0.0.1", "localhost")
    answer = _connect(project, url, APP__ENVIRONMENT="production")

    assert "SSLCertVerificationError" in answer, answer
