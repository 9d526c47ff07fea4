"""AAMI beat classes (ANSI/AAMI EC57) from MIT-BIH annotation symbols.

References
----------
ANSI/AAMI EC57:2012, Testing and reporting performance results of cardiac rhythm and ST segment
measurement algorithms.
"""

from __future__ import annotations

import numpy as np

#: AAMI classes in report order.
AAMI_CLASSES: tuple[str, ...] = ("N", "S", "V", "F", "Q")

#: MIT-BIH beat symbol -> AAMI class. Symbols not listed here are not beats (`+ ~ | x [ ] ! "` ...).
SYMBOL_TO_AAMI: dict[str, str] = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("aJSA", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}

BEAT_SYMBOLS: frozenset[str] = frozenset(SYMBOL_TO_AAMI)


def aami_class(symbol: str) -> str | None:
    """AAMI class of an annotation symbol, or None when the symbol is not a beat."""
    return SYMBOL_TO_AAMI.get(symbol)


def is_beat(symbols: np.ndarray | list[str]) -> np.ndarray:
    """Boolean mask: which annotation symbols are beats."""
    return np.fromiter((s in BEAT_SYMBOLS for s in symbols), dtype=bool, count=len(symbols))


def aami_codes(symbols: np.ndarray | list[str]) -> np.ndarray:
    """Integer AAMI class (index into `AAMI_CLASSES`) per beat symbol; -1 for non-beats."""
    index = {c: i for i, c in enumerate(AAMI_CLASSES)}
    return np.fromiter(
        (index[SYMBOL_TO_AAMI[s]] if s in SYMBOL_TO_AAMI else -1 for s in symbols),
        dtype=np.int64,
        count=len(symbols),
    )
