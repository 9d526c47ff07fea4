"""Strict parsing of the numeric ids that arrive as text (URL paths, query strings, MQTT topics).

``int()`` and ``str.isdigit()`` accept far more than an id: ``int("١")`` is 1 (an Arabic-Indic digit),
``int(" +1_0 ")`` is 10, and pydantic's lax mode takes ``"01"`` and ``"1.0"``. Two spellings of one id
let a topic or a path pass for another device's, so an id here is ASCII decimal digits only, without
sign, spaces, separators or leading zeros, within its range.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

#: Device ids are the frame header's uint32 (docs/protocol.md); 0 is never assigned.
DEVICE_ID_MAX = 2**32 - 1
#: Row ids are SQL BIGINT.
ROW_ID_MAX = 2**63 - 1

_DECIMAL = re.compile(r"[1-9][0-9]{0,18}")


def parse_positive_id(text: str, *, maximum: int) -> int:
    """The id ``text`` spells, or `ValueError` (the message names the rule, never the input).

    Examples
    --------
    >>> parse_positive_id("42", maximum=DEVICE_ID_MAX)
    42
    >>> parse_positive_id("١", maximum=DEVICE_ID_MAX)
    Traceback (most recent call last):
    ...
    ValueError: an id is 1 to 4294967295 in ASCII digits, without sign, spaces or leading zeros
    """
    if not isinstance(text, str) or not text.isascii() or _DECIMAL.fullmatch(text) is None or int(text) > maximum:
        raise ValueError(f"an id is 1 to {maximum} in ASCII digits, without sign, spaces or leading zeros")
    return int(text)


def parse_device_id(text: str) -> int:
    """A device id from text (topic level, query value); see `parse_positive_id`."""
    return parse_positive_id(text, maximum=DEVICE_ID_MAX)


def _strict(maximum: int):  # noqa: ANN202 - a pydantic validator
    def check(value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("an id is a number, not a boolean")
        if isinstance(value, int):
            return value   # already a number (set in code, not parsed): range checked by the field
        return parse_positive_id(value, maximum=maximum)  # type: ignore[arg-type]

    return BeforeValidator(check)


#: Annotations for request parameters: ``Annotated[StrictDeviceId, Path(...)]``.
StrictDeviceId = Annotated[int, _strict(DEVICE_ID_MAX)]
StrictRowId = Annotated[int, _strict(ROW_ID_MAX)]
