"""The mailer: sends a message once the unit of work that caused it has committed.

{% if cookiecutter.task_queue == "taskiq" -%}
The API hands each message to the worker (the `send_email` job), which sends it with
bounded retries; if the job queue cannot take it, the API sends it itself in the background.
{%- else -%}
Each message goes out in a background task with bounded retries, so the response never
waits for the SMTP server. Shutdown waits for the sends in flight.
{%- endif %}

A message is logged by its template's name and the request id, never by its content: the
links carry secrets.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from functools import partial

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession
{%- if cookiecutter.task_queue == "taskiq" %}
from taskiq import AsyncBroker
from taskiq.exceptions import TaskiqError
from taskiq.kicker import AsyncKicker
{%- endif %}

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import after_commit
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.core.logging import current_request_id
{%- endif %}
from {{ cookiecutter.package_name }}.email.messages import Email
from {{ cookiecutter.package_name }}.email.transports import Transport
{%- if cookiecutter.task_queue == "taskiq" %}

# The worker registers the job under this name; the API enqueues it by name.
SEND_EMAIL_JOB = "send_email"
{%- endif %}

# SMTP replies from 500 on are permanent (RFC 5321): another attempt gets the same answer.
PERMANENT_FAILURE = 500
# Sends of one message, the first included, before it is logged as failed and dropped; the
# wait before the second, doubled before each later one. That rides out a server's brief
# hiccup; riding out an outage takes a durable outbox, not more attempts held in memory.
MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 1.0

logger = structlog.get_logger(__name__)


def _retryable(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return error.code < PERMANENT_FAILURE
    return True


class Mailer:
    def __init__(
        self,
        settings: Settings,
        transport: Transport,
{%- if cookiecutter.task_queue == "taskiq" %}
        broker: AsyncBroker | None = None,
{%- endif %}
        *,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delay_seconds: float = RETRY_DELAY_SECONDS,
    ) -> None:
        # The smtp backend requires EMAIL__FROM_ADDRESS; the console one sends nothing.
        self.sender = str(settings.email.from_address or "noreply@localhost")
        self.transport = transport
        self.max_attempts = max_attempts
        self.retry_delay_seconds = retry_delay_seconds
        self.shutdown_seconds = settings.app.graceful_shutdown_seconds
{%- if cookiecutter.task_queue == "taskiq" %}
        self.broker = broker
{%- endif %}
        self._sending: set[asyncio.Task[bool]] = set()

    def send_after_commit(self, session: AsyncSession, email: Email) -> None:
        """Send `email` once `session`'s unit of work commits; a rollback sends nothing."""
        after_commit(session, partial(self.dispatch, email))

    async def dispatch(self, email: Email) -> None:
        """Start sending `email` now, without waiting for the SMTP server."""
{%- if cookiecutter.task_queue == "taskiq" %}
        if self.broker is not None:
            kicker: AsyncKicker[..., bool] = AsyncKicker(SEND_EMAIL_JOB, self.broker, labels={})
            try:
                await kicker.kiq(email.to_json(), request_id=current_request_id())
            except TaskiqError as error:
                logger.warning(
                    "email_enqueue_failed", template=email.template, error=type(error).__name__
                )
            else:
                return
{%- endif %}
        # The task copies the request's context, so its log lines carry the request id.
        task = asyncio.create_task(self.deliver(email))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def deliver(self, email: Email) -> bool:
        """Send `email`, retrying failures that may pass; False once it is given up."""
        message = self._message(email)
        delay = self.retry_delay_seconds
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.transport.send(message)
            except (aiosmtplib.SMTPException, OSError) as error:
                retry = _retryable(error) and attempt < self.max_attempts
                log = logger.warning if retry else logger.error
                log(
                    "email_send_failed",
                    template=email.template,
                    attempt=attempt,
                    error=type(error).__name__,
                    retry_in_seconds=delay if retry else None,
                )
                if not retry:
                    return False
                await asyncio.sleep(delay)
                delay *= 2
            else:
                logger.info("email_sent", template=email.template, attempt=attempt)
                return True
        return False  # pragma: no cover - the loop returns on its last attempt

    def _message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        return message

    async def aclose(self) -> None:
        """Wait for the sends in flight (up to the graceful-shutdown time), then cancel them."""
        if not self._sending:
            return
        _done, pending = await asyncio.wait(set(self._sending), timeout=self.shutdown_seconds)
        for task in pending:
            task.cancel()
        if pending:
            logger.error("emails_dropped", count=len(pending))
