"""Limits every HTTP request meets before anything parses it, and errors that never echo what was sent.

`BodyGate`, the outermost layer, bounds every body and makes each refused one cost the server O(1)
work: a declared ``Content-Length`` over the limit gets 413 before a byte of the body is read and before
any other layer runs, a streamed body is cut at the limit, and any answer given before the body was
read to its end closes the connection (a server keeping the connection alive would otherwise read and
parse the rest of the body, 60 MB of it, to find the next request). The ingest routes also keep
FastAPI's own limit (``max_body_size``). `JsonDepthLimit` adds what size leaves out: 400 for JSON
nested deeper than allowed, measured before the parser sees it (a JSON parser recurses once per level).
`validation_error_answer` reports where and why a request is invalid, not its content (a 422 must not
echo a password, nor 20 MB back).

References
----------
.. [1] OWASP API Security Top 10 (2023), API4: Unrestricted Resource Consumption.
.. [2] RFC 9110, "HTTP Semantics", §15.5.14 (413 Content Too Large).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A JSON string (brackets inside it are text) or a bracket. A string that is never closed runs to the
#: end of the body, so every scan position is read once: a pattern that could fail on an unclosed
#: string would rescan from each later quote, quadratic in the body (a 64 KiB body of escaped quotes
#: took 28 s).
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]+|\\.)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")


class JsonTooDeep(HTTPException):
    """A JSON body nested deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(status.HTTP_400_BAD_REQUEST, f"JSON nested deeper than {limit} levels")


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects in ``body`` (0 for a scalar), without parsing it.

    Examples
    --------
    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(body):
        first = match.group()[0]
        if first in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif first in _CLOSERS:
            depth -= 1
    return deepest


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _may_be_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse the body as JSON (it does when no content type is given)."""
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def answer_json(send: Send, code: int, detail: str, *, close: bool = False) -> None:
    """Answer ``{"detail": detail}``; ``close`` ends the connection after it (a body left unread)."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """A streamed body past the limit (an HTTP error, so a route reading the body answers 413 itself)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, f"body over {limit} bytes")


class BodyGate:
    """ASGI middleware, outermost: O(1) work for a body the server will not take.

    - A declared ``Content-Length`` over ``max_body_bytes``: 413 at once; nothing inside runs, nothing
      of the body is read.
    - A streamed (chunked) body: 413 at the first message that takes it past ``max_body_bytes``.
    - Any answer started before the body was read to its end (these 413s, a 401 given from the headers,
      a route's own smaller limit) carries ``Connection: close``: the server then closes the connection
      instead of reading and parsing the rest of the body to reach the next request.

    ``max_body_bytes`` is the limit of every path but those ``path_limits`` names (exact paths: device
    ingest takes its own size).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, path_limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_body_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            exc = BodyTooLarge(limit)
            await answer_json(send, exc.status_code, exc.detail, close=True)
            return
        body_read = declared in (None, "0") and _header(scope, b"transfer-encoding") is None
        received = 0
        started = False

        async def receive_capped() -> Message:
            nonlocal body_read, received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if started:   # too late for a 413 (the answer already closes): the app sees the client gone
                        return {"type": "http.disconnect"}
                    raise BodyTooLarge(limit)
                body_read = body_read or not message.get("more_body", False)
            else:
                body_read = True   # the client left: nothing more to read
            return message

        async def send_closing(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if not body_read:
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, receive_capped, send_closing)
        except BodyTooLarge as exc:
            if started:
                raise
            await answer_json(send, exc.status_code, exc.detail, close=True)


class JsonDepthLimit:
    """ASGI middleware: 400 for a JSON body nested deeper than ``max_json_depth``, before it is parsed.

    A body whose content type says JSON, or that has no content type (FastAPI then parses JSON) and
    starts like JSON, is read when the app first asks for it, measured, and replayed; other bodies
    (binary frames hold bracket bytes) pass untouched. It sits inside the body-size limit, so what it
    buffers is bounded, and reads nothing before the app does, so a check that needs only the headers
    (the API key) answers first.
    """

    def __init__(self, app: ASGIApp, *, max_json_depth: int) -> None:
        self.app = app
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = _header(scope, b"content-type")
        if scope["type"] != "http" or not _may_be_json(content_type):
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._checked(receive, explicit=content_type is not None), send_tracked)
        except JsonTooDeep as exc:
            if started:
                raise
            await answer_json(send, exc.status_code, exc.detail)

    def _checked(self, receive: Receive, *, explicit: bool) -> Receive:
        then: Receive | None = None

        async def checked() -> Message:
            nonlocal then
            if then is not None:
                return await then()
            chunks: list[bytes] = []
            while True:
                message = await receive()
                if message["type"] != "http.request":   # the client left: the app hears it after the body
                    then = _replay_messages([message], then=receive)
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    then = receive
                    break
            body = b"".join(chunks)
            if (explicit or body.lstrip()[:1] in (b"[", b"{")) and json_depth(body) > self.max_json_depth:
                raise JsonTooDeep(self.max_json_depth)
            return {"type": "http.request", "body": body, "more_body": False}

        return checked


def _replay_messages(messages: list[Message], *, then: Receive) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else await then()

    return receive


async def validation_error_answer(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with where and why each field is invalid; never the input (it may be a password, or 20 MB)."""
    detail = [{"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
              for error in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
