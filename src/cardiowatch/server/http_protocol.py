"""uvicorn's httptools protocol with a bound on each request's head: its size and the time it takes.

httptools (uvicorn's default parser) takes a request line and header lines of any length and waits for
their end without a time limit: one client sending 60 MB of header lines had all of it held in memory,
and a client sending a byte now and then holds a connection for ever. h11, uvicorn's other parser,
bounds the size (16 KiB) but parses in pure Python, several times the CPU per request of device ingest.
`BoundedHeadProtocol` keeps httptools and adds both bounds where the bytes arrive, before anything else
sees the request: a head over `MAX_HEAD_BYTES` gets 431, one not complete `HEAD_TIMEOUT_S` after the
request began gets 408, and either closes the connection; so does a connection that sends nothing for
`HEAD_TIMEOUT_S` after it opened (without an answer).

`serve`, the demo and the benchmarks run uvicorn with it (``http=BoundedHeadProtocol``, or
``--http cardiowatch.server.http_protocol:BoundedHeadProtocol``).

References
----------
.. [1] RFC 6585, "Additional HTTP Status Codes", §5 (431 Request Header Fields Too Large).
.. [2] OWASP API Security Top 10 (2023), API4: Unrestricted Resource Consumption.
"""

from __future__ import annotations

import asyncio
import http
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Request line plus header lines (nginx allows 4 x 8 KiB by default, Node 16 KiB). Counted per read, so
#: a head may run past it by one read (at most 256 KiB) before it is refused.
MAX_HEAD_BYTES = 32 * 1024
#: From a connection's opening, or a request's first byte, to the end of its headers.
HEAD_TIMEOUT_S = 10.0


class _HeadRefused(Exception):
    """Raised from a parser callback to stop httptools at once (it answers through `send_400_response`)."""


class BoundedHeadProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` refusing a request head over `MAX_HEAD_BYTES` (431) or slower than `HEAD_TIMEOUT_S` (408).

    The size is counted twice: what the parser has handed over (URL pieces, complete header lines), which
    catches a long head that arrives in one read, and every read that ends with the head still open, which
    catches one long header line that httptools keeps to itself until it ends.
    """

    max_head_bytes = MAX_HEAD_BYTES
    head_timeout_s = HEAD_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.in_head_ = False
        self.head_bytes_read_ = self.head_bytes_parsed_ = 0
        self.refusal_: tuple[http.HTTPStatus, str] | None = None
        self.head_deadline_: asyncio.TimerHandle | None = None
        self._start_head_clock()   # a connection that never sends a byte is a slow head too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.in_head_ and not self.transport.is_closing():
            self.head_bytes_read_ += len(data)
            if self.head_bytes_read_ > self.max_head_bytes:
                self._refuse(*self._too_large())

    def send_400_response(self, msg: str) -> None:
        if self.refusal_ is not None:   # the parser stopped because a callback below refused the head
            self._refuse(*self.refusal_)
        else:
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head_ = True
        self.head_bytes_read_ = self.head_bytes_parsed_ = 0
        self._start_head_clock()

    def on_url(self, url: bytes) -> None:
        self._count_parsed(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_parsed(len(name) + len(value) + 4)   # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head_ = False
        self._stop_head_clock()
        super().on_headers_complete()

    def _count_parsed(self, n_bytes: int) -> None:
        self.head_bytes_parsed_ += n_bytes
        if self.head_bytes_parsed_ > self.max_head_bytes:
            self.refusal_ = self._too_large()
            raise _HeadRefused

    def _too_large(self) -> tuple[http.HTTPStatus, str]:
        return (http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"request line and headers over {self.max_head_bytes} bytes")

    def _start_head_clock(self) -> None:
        if self.head_deadline_ is None:
            self.head_deadline_ = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _stop_head_clock(self) -> None:
        if self.head_deadline_ is not None:
            self.head_deadline_.cancel()
            self.head_deadline_ = None

    def _head_too_slow(self) -> None:
        self.head_deadline_ = None
        if self.in_head_:
            self._refuse(http.HTTPStatus.REQUEST_TIMEOUT, f"headers not complete within {self.head_timeout_s:g} s")
        elif self.cycle is None and not self.transport.is_closing():
            # Nothing sent since the connection opened: closed without an answer, as uvicorn closes an idle
            # kept-alive one (a browser's pre-opened connection may send its request at this very moment).
            self.transport.close()

    def _refuse(self, status: http.HTTPStatus, detail: str) -> None:
        """Answer ``status`` with a JSON detail and close: no layer above has seen the request."""
        self._stop_head_clock()
        self.in_head_ = False
        if self.transport.is_closing():
            return
        body = json.dumps({"detail": detail}).encode()
        head = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json", b"content-length: " + str(len(body)).encode(),
                 b"connection: close"]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.transport.close()
