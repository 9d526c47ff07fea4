"""Throttle for failed dashboard logins: a few wrong passwords per name or address, then HTTP 429 for a while.

Every login attempt costs a scrypt hash (`cardiowatch.dashboard.users`), so an unlimited stream of
attempts both guesses passwords online and ties up the server's CPU. `LoginThrottle` counts recent
failures per key in a sliding window, under two keys per attempt: the user name tried (lower-cased) and
the client's address. While either key holds its limit of failures, the login route answers 429 with
``Retry-After`` before any password is hashed.

The count lives in the server process (no database writes): each worker process keeps its own, and a
restart forgets it.

References
----------
.. [1] OWASP Authentication Cheat Sheet, "Protect Against Automated Attacks" (account lockout, throttling).
.. [2] RFC 6585, section 4: 429 Too Many Requests, with Retry-After.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

#: Failures per user name in the window: a person mistyping does not reach it; a guesser gets 20 tries an hour.
MAX_FAILURES_PER_NAME = 5
#: Failures per client address in the window: higher, since several people may share one address (a ward's
#: NAT), yet it stops one client from trying name after name or hogging the CPU with scrypt.
MAX_FAILURES_PER_ADDRESS = 20
#: The sliding window: a blocked key is let in again when its oldest failure is this old.
WINDOW_SECONDS = 15 * 60.0
#: Keys tracked at most (a few MB); beyond it the key with the oldest last failure is forgotten, so a flood
#: of made-up names cannot grow memory without limit.
MAX_TRACKED_KEYS = 10_000

Key = tuple[str, str]   # ("name", lower-cased name) or ("address", client host)


@dataclass
class _Failures:
    stamps: deque[float] = field(default_factory=deque)
    warned: bool = False   # the current block has been logged


class LoginThrottle:
    """Count failed logins per user name and per client address; say which attempts to refuse, and how long.

    An attempt is counted as a failure from the moment it is let through (`attempt`), and forgiven when it
    succeeds (`succeeded`) or breaks off without an answer (`cancelled`). Counting up front means a burst of
    simultaneous requests cannot all pass the check before the first one fails.

    Parameters
    ----------
    max_per_name, max_per_address : int
        Failures within the window that block a user name or a client address.
    window_seconds : float
        Length of the sliding window.
    max_keys : int
        Most keys tracked at once (names and addresses together).
    now : callable
        Clock in seconds (monotonic); tests pass a fake one.
    """

    def __init__(self, *, max_per_name: int = MAX_FAILURES_PER_NAME,
                 max_per_address: int = MAX_FAILURES_PER_ADDRESS, window_seconds: float = WINDOW_SECONDS,
                 max_keys: int = MAX_TRACKED_KEYS, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"name": max_per_name, "address": max_per_address}
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self.now = now
        self._lock = threading.Lock()
        # Ordered by last failure, oldest first: expired keys and eviction candidates sit at the front.
        self._failures: OrderedDict[Key, _Failures] = OrderedDict()

    def attempt(self, name: str, address: str | None) -> int | None:
        """Return Retry-After seconds if the name or address is blocked; else count this attempt, return None."""
        keys = _keys(name, address)
        with self._lock:
            now = self.now()
            self._prune(now)
            waits = [wait for key in keys if (wait := self._blocked_for(key, now)) is not None]
            if waits:
                return max(waits)
            for key in keys:
                entry = self._failures.pop(key, None) or _Failures()
                entry.stamps.append(now)
                entry.warned = False
                self._failures[key] = entry   # to the back: most recent failure
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
            return None

    def succeeded(self, name: str, address: str | None) -> None:
        """The attempt was a good login: clear the name's failures and take this attempt off the address.

        The address keeps its earlier failures: one good login must not open the door to guessing other
        names from there.
        """
        with self._lock:
            self._failures.pop(_keys(name, None)[0], None)
            if address is not None:
                self._forget_one(("address", address))

    def cancelled(self, name: str, address: str | None) -> None:
        """The attempt ended without an answer (a server error): do not count it against anyone."""
        with self._lock:
            for key in _keys(name, address):
                self._forget_one(key)

    def tracked_keys(self) -> int:
        """How many names and addresses have recent failures."""
        with self._lock:
            return len(self._failures)

    # with self._lock held ----------------------------------------------------------------------------
    def _blocked_for(self, key: Key, now: float) -> int | None:
        """Retry-After seconds while ``key`` holds its limit of failures in the window, else None."""
        entry = self._failures.get(key)
        limit = self.limits[key[0]]
        if entry is None:
            return None
        _drop_older(entry.stamps, now - self.window_seconds)
        if len(entry.stamps) < limit:
            return None
        # Let in again when enough failures have left the window to fall below the limit.
        wait = max(1, math.ceil(entry.stamps[-limit] + self.window_seconds - now))
        if not entry.warned:
            entry.warned = True
            logger.warning("dashboard login blocked for %s %r after %d failures in %d min; retry after %d s",
                           key[0], key[1], len(entry.stamps), round(self.window_seconds / 60), wait)
        return wait

    def _forget_one(self, key: Key) -> None:
        entry = self._failures.get(key)
        if entry is not None and entry.stamps:
            entry.stamps.pop()   # the newest: this attempt's, or one made at the same moment
            if not entry.stamps:
                del self._failures[key]

    def _prune(self, now: float) -> None:
        # Keys are ordered by last failure, so whole expired keys sit at the front.
        horizon = now - self.window_seconds
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if oldest.stamps and oldest.stamps[-1] > horizon:
                break
            self._failures.popitem(last=False)


def _keys(name: str, address: str | None) -> list[Key]:
    keys: list[Key] = [("name", name.lower())]
    if address is not None:   # a test client or a Unix socket may have none
        keys.append(("address", address))
    return keys


def _drop_older(stamps: deque[float], horizon: float) -> None:
    while stamps and stamps[0] <= horizon:
        stamps.popleft()
