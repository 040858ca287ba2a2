"""Jobs: enqueued by the API, run by a worker on the same services, outcome readable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from taskiq.receiver import Receiver

from {{ cookiecutter.package_name }}.auth.redis_store import RedisRefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.tasks.broker import create_jobs
from {{ cookiecutter.package_name }}.users.models import User


async def run_next_job(settings: Settings) -> None:
    """Do what `{{ cookiecutter.package_name }} worker` does, for one queued job, in-process."""
    jobs = create_jobs(settings)
    jobs.broker.is_worker_process = True
    await jobs.broker.startup()
    try:
        receiver = Receiver(jobs.broker, run_startup=False)
        async for message in jobs.broker.listen():
            await receiver.callback(message, raise_err=True)
            break
    finally:
        await jobs.broker.shutdown()


async def test_a_purge_job_runs_in_a_worker_and_reports_its_outcome(
    admin_client: httpx.AsyncClient, app: FastAPI, settings: Settings, redis: Redis, user: User
) -> None:
    store = RedisRefreshTokenStore(redis, ttl_seconds=3600)
    for expires_at in (utcnow() + timedelta(hours=1), utcnow() - timedelta(seconds=1)):
        await store.add(
            uuid.uuid4().hex, user_id=user.id, family_id=uuid.uuid4(), expires_at=expires_at
        )

    started = await admin_client.post(app.url_path_for("purge_refresh_tokens"))
    job_url = app.url_path_for("read_job", job_id=started.json()["id"])
    before = (await admin_client.get(job_url)).json()
    await run_next_job(settings)
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
