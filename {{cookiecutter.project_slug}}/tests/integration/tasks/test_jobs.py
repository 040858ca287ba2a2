"""Jobs: enqueued by the API, run by a worker on the same services, outcome readable."""

from __future__ import annotations

import json
import os
import pickle
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from taskiq import TaskiqResult

from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import commit, utcnow
from {{ cookiecutter.package_name }}.core.job_queue import RESULT_KEY_PREFIX
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_KEY
from {{ cookiecutter.package_name }}.core.resources import open_resources, resources_of
from {{ cookiecutter.package_name }}.email.messages import verify_email
from {{ cookiecutter.package_name }}.tasks.router import JOB_KEY_PREFIX
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import captured_logs, free_port, make_settings, run_next_job
from tests.smtp import email_settings, smtp_server


async def test_a_purge_job_runs_in_a_worker_and_reports_its_outcome(
    admin_client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    connection: AsyncConnection,
    session: AsyncSession,
    user: User,
) -> None:
    store = DatabaseRefreshTokenStore(session)
    for expires_at in (utcnow() + timedelta(hours=1), utcnow() - timedelta(seconds=1)):
        await store.add(
            uuid.uuid4().hex, user_id=user.id, family_id=uuid.uuid4(), expires_at=expires_at
        )

    started = await admin_client.post(app.url_path_for("purge_refresh_tokens"))
    job_url = app.url_path_for("read_job", job_id=started.json()["id"])
    before = (await admin_client.get(job_url)).json()
    await run_next_job(settings, connection)
    after = (await admin_client.get(job_url)).json()

    assert started.status_code == 202, started.text
    assert before["status"] == "queued"
    assert (after["status"], after["result"]) == ("succeeded", 1)


async def test_the_worker_sends_the_mail_the_api_queued_after_its_commit(
    settings: Settings, connection: AsyncConnection
) -> None:
    with smtp_server() as (mailbox, port):
        mail_settings = make_settings(settings.database_url, email=email_settings(port))
        email = verify_email(
            mail_settings, to="ada@example.com", token="t0ken", valid_for=timedelta(minutes=5)
        )
        async with open_resources(mail_settings) as resources:
            async with AsyncSession(
                bind=connection, join_transaction_mode="create_savepoint"
            ) as session:
                resources.mailer.send_after_commit(session, email)
                with structlog.contextvars.bound_contextvars(**{REQUEST_ID_KEY: "req-7"}):
                    await commit(session)
            await resources.mailer.aclose()
            queued_only = list(mailbox.messages)
            with captured_logs() as logs:
                await run_next_job(mail_settings, connection)
        [message] = await mailbox.wait_for(1)

    assert queued_only == []  # the API only queued it
    assert message["Subject"] == email.subject
    [sent] = [log for log in logs if log["event"] == "email_sent"]
    assert sent[REQUEST_ID_KEY] == "req-7"


async def test_the_api_sends_the_mail_itself_when_the_queue_is_down(
    settings: Settings, connection: AsyncConnection
) -> None:
    with smtp_server() as (mailbox, port):
        mail_settings = make_settings(
            settings.database_url,
            redis_url=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            email=email_settings(port),
        )
        email = verify_email(
            mail_settings, to="ada@example.com", token="t0ken", valid_for=timedelta(minutes=5)
        )
        async with open_resources(mail_settings) as resources:
            async with AsyncSession(
                bind=connection, join_transaction_mode="create_savepoint"
            ) as session:
                resources.mailer.send_after_commit(session, email)
                with captured_logs() as logs:
                    await commit(session)
            await resources.mailer.aclose()

        assert len(mailbox.messages) == 1
    assert [log["event"] for log in logs] == ["email_enqueue_failed"]


async def test_jobs_are_for_admins_only(auth_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await auth_client.post(app.url_path_for("purge_refresh_tokens"))

    assert response.status_code == 403, response.text


async def test_an_unknown_job_is_404(admin_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await admin_client.get(app.url_path_for("read_job", job_id=uuid.uuid4().hex))

    assert response.status_code == 404, response.text


async def test_a_malformed_job_id_is_422(admin_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await admin_client.get(app.url_path_for("read_job", job_id="not-a-job"))

    assert response.status_code == 422, response.text


async def test_a_job_leaves_its_result_as_json_and_every_key_under_the_project_prefix(
    admin_client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    connection: AsyncConnection,
    redis: Redis,
) -> None:
    job_id = (await admin_client.post(app.url_path_for("purge_refresh_tokens"))).json()["id"]
    await run_next_job(settings, connection)

    stored = await redis.get(f"{RESULT_KEY_PREFIX}:{job_id}")
    keys = [key.decode() async for key in redis.scan_iter(f"*{job_id}*")]

    assert stored is not None
    assert json.loads(stored)["return_value"] == 0
    assert len(keys) == 2, keys  # the job's id and its result
    assert all(key.startswith("{{ cookiecutter.package_name }}:") for key in keys), keys


async def test_a_failed_job_reports_its_error_type_only(
    admin_client: httpx.AsyncClient, app: FastAPI, redis: Redis
) -> None:
    job_id = uuid.uuid4().hex
    await redis.set(JOB_KEY_PREFIX + job_id, 1)
    failure = ConnectionRefusedError("secret-host:5432 refused")
    await resources_of(app).broker.result_backend.set_result(
        job_id, TaskiqResult(is_err=True, return_value=None, execution_time=0.1, error=failure)
    )

    response = await admin_client.get(app.url_path_for("read_job", job_id=job_id))

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["error"]) == (
        "failed",
        "ConnectionRefusedError",
    )
    assert "secret-host" not in response.text


class _RunsCode:
    """Unpickling this creates a directory: proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.path),)


async def test_a_pickle_planted_as_a_job_result_is_never_unpickled(
    admin_client: httpx.AsyncClient, app: FastAPI, redis: Redis, tmp_path: Path
) -> None:
    job_id = uuid.uuid4().hex
    await redis.set(JOB_KEY_PREFIX + job_id, 1)
    marker = tmp_path / "unpickled"
    await redis.set(f"{RESULT_KEY_PREFIX}:{job_id}", pickle.dumps(_RunsCode(marker)))

    response = await admin_client.get(app.url_path_for("read_job", job_id=job_id))

    assert not marker.exists()
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["error"]) == ("failed", "UnreadableResult")


async def test_a_result_naming_a_function_as_its_error_is_refused(
    admin_client: httpx.AsyncClient, app: FastAPI, redis: Redis, tmp_path: Path
) -> None:
    job_id = uuid.uuid4().hex
    await redis.set(JOB_KEY_PREFIX + job_id, 1)
    marker = tmp_path / "called"
    forged = {
        "is_err": True,
        "return_value": None,
        "execution_time": 0,
        "error": {"exc_type": "mkdir", "exc_module": "os", "exc_message": [str(marker)]},
    }
    await redis.set(f"{RESULT_KEY_PREFIX}:{job_id}", json.dumps(forged))

    response = await admin_client.get(app.url_path_for("read_job", job_id=job_id))

    assert not marker.exists()
    assert response.status_code == 503, response.text
