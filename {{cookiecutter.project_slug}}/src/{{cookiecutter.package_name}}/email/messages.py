"""The messages the service sends, rendered from `templates/` (Jinja2, text plus HTML).

Each message has three templates: `<name>.subject.txt`, `<name>.txt` and `<name>.html`.
Only the HTML part is autoescaped; an undefined variable is an error, never an empty string.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from {{ cookiecutter.package_name }}.core.config import Settings

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def _templates() -> Environment:
    """The template environment, built at the first message: jinja2 costs every cold start."""
    import jinja2  # noqa: PLC0415 - see above

    return jinja2.Environment(
        loader=jinja2.PackageLoader("{{ cookiecutter.package_name }}.email", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class Action(StrEnum):
    """The pages of APP__FRONTEND_URL that the links in emails open."""

    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a page name, not a password
    CONFIRM_EMAIL_CHANGE = "confirm-email-change"


@dataclass(frozen=True, slots=True, kw_only=True)
class Email:
    """A rendered message: what the mailer sends, and what a job carries to the worker."""

    template: str  # the only part of a message that is ever logged
    to: str
    subject: str
    text: str
    html: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Email:
        return cls(**{name: str(value[name]) for name in cls.__dataclass_fields__})


def render(template: str, *, to: str, **context: object) -> Email:
    templates = _templates()
    subject = templates.get_template(f"{template}.subject.txt").render(context)
    return Email(
        template=template,
        to=to,
        # One line, whatever the template's layout: a header cannot span lines.
        subject=" ".join(subject.split()),
        text=templates.get_template(f"{template}.txt").render(context),
        html=templates.get_template(f"{template}.html").render(context),
    )


def action_link(settings: Settings, action: Action, token: str) -> str:
    """`{APP__FRONTEND_URL}/<action>?token=<token>`."""
    return f"{settings.app.link_base}/{action.value}?{urlencode({'token': token})}"


def verify_email(settings: Settings, *, to: str, token: str, valid_for: timedelta) -> Email:
    return _with_link("verify_email", settings, Action.VERIFY_EMAIL, to, token, valid_for)


def reset_password(settings: Settings, *, to: str, token: str, valid_for: timedelta) -> Email:
    return _with_link("reset_password", settings, Action.RESET_PASSWORD, to, token, valid_for)


def confirm_email_change(settings: Settings, *, to: str, token: str, valid_for: timedelta) -> Email:
    return _with_link(
        "confirm_email_change", settings, Action.CONFIRM_EMAIL_CHANGE, to, token, valid_for
    )


def email_change_requested(settings: Settings, *, to: str, new_email: str) -> Email:
    """The notice to the old address: the change happens only once the new one confirms."""
    return render("email_change_requested", to=to, service=settings.app.name, new_email=new_email)


def registration_attempt(settings: Settings, *, to: str) -> Email:
    """What the owner of a registered address gets when someone signs up with it again."""
    return render("registration_attempt", to=to, service=settings.app.name)


def duration(span: timedelta) -> str:
    """`span` as a reader would say it: "30 minutes", "1 hour", "24 hours"."""
    minutes = int(span.total_seconds() // 60)
    count, unit = (minutes // 60, "hour") if minutes and minutes % 60 == 0 else (minutes, "minute")
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _with_link(
    template: str, settings: Settings, action: Action, to: str, token: str, valid_for: timedelta
) -> Email:
    return render(
        template,
        to=to,
        service=settings.app.name,
        link=action_link(settings, action, token),
        valid_for=duration(valid_for),
    )
