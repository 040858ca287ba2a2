"""The HTTP/1.1 protocol `serve` runs: uvicorn's httptools parser, with the limits it lacks.

httptools is uvicorn's fastest parser, but uvicorn bounds neither the size of a request
head nor the time a client takes to send one. h11 bounds the size, not the time, and in
the template's benchmark it cost about 40% of the requests per second.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

# A request line and headers larger than this are refused (400) and the connection closed.
MAX_REQUEST_HEAD_BYTES = 16 * 1024
# What a header line adds to its name and value: ": " and CRLF.
HEADER_LINE_OVERHEAD = 4


class RequestHeadTooLargeError(Exception):
    """Raised from a parser callback; uvicorn answers any parser failure with 400."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Refuses a request head over MAX_REQUEST_HEAD_BYTES, and one slower than `head_timeout`.

    The time runs from the connection, or from the previous response, until the head is
    complete, so a client trickling a head in a byte at a time is disconnected too (each
    byte would reset the keep-alive timer). The size is counted twice: exactly, from what
    the parser hands over, and in raw bytes while a head is unfinished, since httptools
    buffers a header line until its end.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        head_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_timeout = head_timeout
        self.head_deadline: asyncio.TimerHandle | None = None
        self.awaiting_head = True
        self.chunk_not_all_head = False
        self.parsed_head_bytes = 0
        self.received_head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override] # uvicorn narrows it too
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.chunk_not_all_head = False
        super().data_received(data)
        if not self.awaiting_head or self.transport.is_closing():
            return
        # Of a chunk that ended a request or began a head, only the parsed head is known.
        self.received_head_bytes += self.parsed_head_bytes if self.chunk_not_all_head else len(data)
        if self.received_head_bytes > MAX_REQUEST_HEAD_BYTES:
            self.send_400_response("Request head too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.chunk_not_all_head = True
        self.parsed_head_bytes = self.received_head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + HEADER_LINE_OVERHEAD)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.awaiting_head = False
        self._cancel_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.awaiting_head = True  # the next request's
        self.chunk_not_all_head = True
        self.parsed_head_bytes = self.received_head_bytes = 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.awaiting_head and not self.transport.is_closing():
            self._arm_deadline()

    def _count(self, size: int) -> None:
        self.parsed_head_bytes += size
        if self.parsed_head_bytes > MAX_REQUEST_HEAD_BYTES:
            raise RequestHeadTooLargeError

    def _arm_deadline(self) -> None:
        self._cancel_deadline()
        self.head_deadline = self.loop.call_later(self.head_timeout, self.transport.close)

    def _cancel_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None
