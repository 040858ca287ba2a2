"""Rate limits key on the real client: forwarded headers only from trusted proxies, IPv6 per /64."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import ip_network

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import AppSettings, Environment, RateLimitSettings
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, serving


def _app(database_url: str, *trusted_proxies: str) -> FastAPI:
    app_settings = AppSettings(
        environment=Environment.TEST, trusted_proxies=[ip_network(p) for p in trusted_proxies]
    )
    limits = RateLimitSettings(default="2/hour")
    return create_app(make_settings(database_url, app=app_settings, rate_limit=limits))


async def _statuses(app: FastAPI, requests: Sequence[tuple[str, str | None]]) -> list[int]:
    """The status of GET /users/me from each (peer address, X-Forwarded-For) in turn."""
    statuses = []
    for peer, forwarded_for in requests:
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get(app.url_path_for("read_me"), headers=headers)
        statuses.append(response.status_code)
    return statuses


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    database_url: str, connection: AsyncConnection
) -> None:
    async with serving(_app(database_url), connection) as app:
        spoofed = [("127.0.0.1", f"198.51.100.{number}") for number in range(3)]

        assert await _statuses(app, spoofed) == [401, 401, 429]


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    database_url: str, connection: AsyncConnection
) -> None:
    async with serving(_app(database_url, "10.0.0.0/8"), connection) as app:
        clients = [("10.1.2.3", f"198.51.100.{number}") for number in range(3)]
        # A client cannot prepend its own choice: the proxy's entry, the last one, counts.
        prepended = [("10.1.2.3", f"192.0.2.{number}, 198.51.100.9") for number in range(3)]

        assert await _statuses(app, clients) == [401, 401, 401]
        assert await _statuses(app, prepended) == [401, 401, 429]


@pytest.mark.parametrize(
    "addresses",
    [
        ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff:ffff:ffff:ffff"],
        ["2001:db8::7", "2001:DB8:0:0:0:0:0:7", "2001:0db8::0007"],
        ["203.0.113.7", "::ffff:203.0.113.7", "::ffff:cb00:7107"],
    ],
    ids=["same-ipv6-64", "ipv6-spellings", "ipv4-mapped"],
)
async def test_addresses_of_one_client_share_a_rate_limit(
    database_url: str, connection: AsyncConnection, addresses: list[str]
) -> None:
    async with serving(_app(database_url), connection) as app:
        requests = [(address, None) for address in addresses]

        assert await _statuses(app, requests) == [401, 401, 429]


async def test_ipv6_clients_in_other_64_networks_have_their_own_limits(
    database_url: str, connection: AsyncConnection
) -> None:
    async with serving(_app(database_url), connection) as app:
        peers = [(f"2001:db8:0:{number}::1", None) for number in range(3)]

        assert await _statuses(app, peers) == [401, 401, 401]
