"""Secrets kept out of the logs: the values of ``api_key`` and ``token`` query parameters become ``***``.

Browsers cannot set headers on a WebSocket handshake, so the live feed takes the API key as
``/ws/live?api_key=...`` and devices may send ``/ws/ingest?token=...``; uvicorn logs every request line
(``uvicorn.access``) and every WebSocket handshake (``uvicorn.error``) with its query string. A filter on
those loggers rewrites the message arguments before any handler sees them, so whatever the log
configuration (uvicorn's, a file, journald), the secret is never written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

#: Query parameters whose values are secrets (compared after percent-decoding, case-insensitively).
SECRET_QUERY_KEYS = frozenset({"api_key", "token"})
#: The loggers uvicorn writes request lines and WebSocket handshakes to.
UVICORN_LOGGERS = ("uvicorn.access", "uvicorn.error")
REDACTED = "***"

_QUERY_PAIR = re.compile(r"(?<=[?&;])([^=&;\s\"'?#]+)=([^&;\s\"'#]*)")


def redact_secrets(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``***``.

    Examples
    --------
    >>> redact_secrets('GET /ws/live?device_id=3&api_key=s3cret HTTP/1.1')
    'GET /ws/live?device_id=3&api_key=*** HTTP/1.1'
    """
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"{key}={REDACTED}" if unquote(key).lower() in SECRET_QUERY_KEYS else match.group(0)

    return _QUERY_PAIR.sub(replace, text)


class RedactSecrets(logging.Filter):
    """A logging filter that applies `redact_secrets` to a record's message and string arguments.

    The arguments keep their number and order (uvicorn's access formatter unpacks them).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secrets(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact_secrets(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install_redaction(logger_names: Iterable[str] = UVICORN_LOGGERS) -> Callable[[], None]:
    """Put a `RedactSecrets` filter on each named logger; return the function that takes it off again."""
    redactor = RedactSecrets()
    loggers = [logging.getLogger(name) for name in logger_names]
    for logger in loggers:
        logger.addFilter(redactor)

    def remove() -> None:
        for logger in loggers:
            logger.removeFilter(redactor)

    return remove
