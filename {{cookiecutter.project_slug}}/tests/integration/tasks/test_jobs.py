"""Jobs: enqueued by the API, run by a worker on the same services, outcome readable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from taskiq.receiver import Receiver

from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.tasks.dependencies import (
    bind_worker_resources,
    get_worker_resources,
)
from {{ cookiecutter.package_name }}.tasks.worker import create_worker_broker
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import on_connection


async def run_next_job(settings: Settings, connection: AsyncConnection) -> None:
    """Do what `{{ cookiecutter.package_name }} worker` does, for one queued job, in-process.

    The worker's sessions join the test's transaction, as the app's do.
    """
    broker = create_worker_broker(settings)
    broker.is_worker_process = True
    await broker.startup()
    try:
        joined = on_connection(get_worker_resources(broker.state), connection)
        bind_worker_resources(broker.state, joined)
        receiver = Receiver(broker, run_startup=False)
        async for message in broker.listen():
            await receiver.callback(message, raise_err=True)
            break
    finally:
        await broker.shutdown()


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


async def test_jobs_are_for_admins_only(auth_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await auth_client.post(app.url_path_for("purge_refresh_tokens"))

    assert response.status_code == 403, response.text


async def test_an_unknown_job_is_404(admin_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await admin_client.get(app.url_path_for("read_job", job_id=uuid.uuid4().hex))

    assert response.status_code == 404, response.text


async def test_a_malformed_job_id_is_422(admin_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await admin_client.get(app.url_path_for("read_job", job_id="not-a-job"))

    assert response.status_code == 422, response.text
