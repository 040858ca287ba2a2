"""Messages: rendered from the package's templates, links built from APP__FRONTEND_URL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from jinja2 import UndefinedError

from {{ cookiecutter.package_name }}.core.config import AppSettings, Settings
from {{ cookiecutter.package_name }}.email.messages import (
    Action,
    Email,
    action_link,
    confirm_email_change,
    duration,
    email_change_requested,
    registration_attempt,
    render,
    reset_password,
    verify_email,
)

TOKEN = "tok/en+with=odd&chars"


def _settings(frontend_url: str | None = None, name: str = "Shop") -> Settings:
    return Settings(_env_file=None, app=AppSettings(name=name, frontend_url=frontend_url))


@pytest.mark.parametrize("frontend_url", ["https://app.example.com", "https://app.example.com/"])
def test_links_open_the_frontend_page_with_the_token_encoded(frontend_url: str) -> None:
    link = action_link(_settings(frontend_url), Action.RESET_PASSWORD, TOKEN)

    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "app.example.com")
    assert parts.path == "/reset-password"
    assert parse_qs(parts.query) == {"token": [TOKEN]}


def test_links_point_at_the_development_server_without_a_frontend_url() -> None:
    link = action_link(_settings(), Action.VERIFY_EMAIL, "t")

    assert link == "http://127.0.0.1:8000/verify-email?token=t"


def test_the_verification_message_carries_the_link_in_both_parts() -> None:
    settings = _settings("https://app.example.com")

    email = verify_email(
        settings, to="ada@example.com", token=TOKEN, valid_for=timedelta(minutes=30)
    )

    link = action_link(settings, Action.VERIFY_EMAIL, TOKEN)
    assert email.subject == "Confirm your email address for Shop"
    assert link in email.text
    # In HTML, the link's & is escaped as an attribute must be.
    assert link.replace("&", "&amp;") in email.html
    assert "30 minutes" in email.text


@pytest.mark.parametrize(
    ("build", "action"),
    [
        (verify_email, Action.VERIFY_EMAIL),
        (reset_password, Action.RESET_PASSWORD),
        (confirm_email_change, Action.CONFIRM_EMAIL_CHANGE),
    ],
)
def test_every_link_message_opens_its_own_page(build: Any, action: Action) -> None:
    settings = _settings("https://app.example.com")

    email = build(settings, to="ada@example.com", token=TOKEN, valid_for=timedelta(minutes=45))

    link = action_link(settings, action, TOKEN)
    assert link in email.text
    assert link.replace("&", "&amp;") in email.html
    assert "45 minutes" in email.text
    assert "Shop" in email.subject


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=24), "24 hours"),
        (timedelta(minutes=90), "90 minutes"),
    ],
)
def test_durations_read_as_a_person_says_them(span: timedelta, said: str) -> None:
    assert duration(span) == said


def test_notices_carry_no_link() -> None:
    settings = _settings("https://app.example.com")

    notices = [
        email_change_requested(settings, to="ada@example.com", new_email="new@example.com"),
        registration_attempt(settings, to="ada@example.com"),
    ]

    for email in notices:
        assert "https://app.example.com" not in email.text + email.html
    assert "new@example.com" in notices[0].text


def test_only_the_html_part_is_escaped() -> None:
    email = verify_email(
        _settings(name="<b>Shop</b> & Co"),
        to="a@example.com",
        token="t",
        valid_for=timedelta(minutes=5),
    )

    assert "&lt;b&gt;Shop&lt;/b&gt; &amp; Co" in email.html
    assert "<b>Shop</b>" not in email.html
    assert "<b>Shop</b> & Co" in email.text


def test_a_subject_is_one_line_whatever_its_values() -> None:
    settings = _settings(name="Shop\r\nBcc: victim@example.com")

    email = verify_email(settings, to="a@example.com", token="t", valid_for=timedelta(minutes=5))

    assert "\n" not in email.subject
    assert "\r" not in email.subject


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError, match="link"):
        render("verify_email", to="a@example.com", service="Shop", valid_for="5 minutes")


def test_a_message_survives_the_trip_to_the_worker() -> None:
    email = verify_email(_settings(), to="a@example.com", token="t", valid_for=timedelta(minutes=5))

    assert Email.from_json(email.to_json()) == email
