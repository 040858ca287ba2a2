"""A second HTTP service on loopback: a small ASGI app under uvicorn, in a thread of its own."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ANY_METHOD = ["DELETE", "GET", "PATCH", "POST", "PUT"]


@dataclass
class Upstream:
    """What the service answered and saw: calls per path, and the last request's headers."""

    url: str = ""
    calls: Counter[str] = field(default_factory=Counter)
    last_headers: dict[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.calls.clear()
        self.last_headers.clear()

    def app(self) -> Starlette:
        async def record(request: Request) -> None:
            self.calls[request.url.path] += 1
            self.last_headers.clear()
            self.last_headers.update(request.headers)

        async def ok(request: Request) -> Response:
            await record(request)
            return JSONResponse({"ok": True})

        async def status(request: Request) -> Response:
            """Answers /status/<code> with that code."""
            await record(request)
            return Response(status_code=int(request.path_params["code"]))

        async def flaky(request: Request) -> Response:
            """/flaky/<n>/<key> fails with 503 n times, then answers 200."""
            await record(request)
            failing = self.calls[request.url.path] <= int(request.path_params["failures"])
            return Response(status_code=503 if failing else 200)

        async def slow(request: Request) -> Response:
            await record(request)
            await asyncio.sleep(float(request.path_params["seconds"]))
            return JSONResponse({"ok": True})

        async def redirect(request: Request) -> Response:
            await record(request)
            return RedirectResponse("/ok", status_code=307)

        return Starlette(
            routes=[
                Route("/ok", ok, methods=ANY_METHOD),
                Route("/status/{code:int}", status, methods=ANY_METHOD),
                Route("/flaky/{failures:int}/{key}", flaky, methods=ANY_METHOD),
                Route("/slow/{seconds:float}", slow, methods=ANY_METHOD),
                Route("/redirect", redirect, methods=ANY_METHOD),
            ]
        )


@contextmanager
def serving_upstream() -> Iterator[Upstream]:
    upstream = Upstream()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    host, port = listener.getsockname()
    upstream.url = f"http://{host}:{port}"
    # log_config=None: uvicorn leaves the logging the service under test set up alone.
    config = uvicorn.Config(
        upstream.app(),
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the upstream failed to start"
        assert time.monotonic() < deadline, "the upstream did not start in time"
        time.sleep(0.01)
    try:
        yield upstream
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
