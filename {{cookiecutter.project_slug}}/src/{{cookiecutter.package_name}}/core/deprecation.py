"""Deprecated routes: they keep working, and tell their callers when they will stop.

Mark a route, or a whole router, with `dependencies=[deprecated(...)]`. Its answers then
carry `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a `Link` to the replacement; the
OpenAPI document flags it `deprecated` with an `x-sunset` date (which the API compatibility
check reads: a route may go once its sunset has passed); and the access log and the
`http_deprecated_requests` metric count its callers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from email.utils import formatdate

from fastapi import FastAPI, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

# Where the matched deprecation waits for the middleware, which stamps every answer with it.
SCOPE_KEY = "deprecation"
SUNSET_EXTENSION = "x-sunset"


@dataclass(frozen=True, slots=True)
class Deprecation:
    since: date
    sunset: date
    successor: str | None = None

    def __post_init__(self) -> None:
        if self.sunset <= self.since:
            msg = f"the sunset ({self.sunset}) must come after the deprecation ({self.since})"
            raise ValueError(msg)

    @property
    def headers(self) -> dict[str, str]:
        headers = {
            # A structured-field date: "@" and the Unix time of the day's start (RFC 9745).
            "Deprecation": f"@{_timestamp(self.since)}",
            "Sunset": formatdate(_timestamp(self.sunset), usegmt=True),
        }
        if self.successor is not None:
            headers["Link"] = f'<{self.successor}>; rel="successor-version"'
        return headers

    async def __call__(self, request: Request) -> None:
        request.scope[SCOPE_KEY] = self


def deprecated(*, since: date, sunset: date, successor: str | None = None) -> params.Depends:
    """A route (or router) dependency: deprecated since `since`, gone after `sunset`.

    `successor` is the path or URL of what replaces it, for the `Link` header.
    """
    return params.Depends(Deprecation(since, sunset, successor))


def document_deprecations(app: FastAPI) -> None:
    """Flag every route marked with `deprecated()` in the OpenAPI document."""
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        deprecation = _deprecation_of(route.dependant)
        if deprecation is not None:
            route.deprecated = True
            route.openapi_extra = {
                **(route.openapi_extra or {}),
                SUNSET_EXTENSION: deprecation.sunset.isoformat(),
            }


def _deprecation_of(dependant: Dependant) -> Deprecation | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Deprecation):
            return dependency.call
        found = _deprecation_of(dependency)
        if found is not None:
            return found
    return None


def _timestamp(day: date) -> int:
    return calendar.timegm(day.timetuple())
