"""Device authentication: a token in, the device it belongs to out, or `Unauthorized`.

Only the SHA-256 of a token is stored. Every message is checked against the database, in one query per
ingest batch, so a rotated or revoked token stops working in every server process sharing the database
as soon as the change is committed: there is no token cache to go stale.

Errors raised here, by cause::

    IngestRejected (CardiowatchError)   the whole message is refused; nothing of it is stored
    └── Unauthorized                    no token, unknown token, revoked device, topic of another device
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from cardiowatch.errors import CardiowatchError
from cardiowatch.server.storage import crud


class IngestRejected(CardiowatchError):
    """The whole message is refused; nothing of it is stored."""


class Unauthorized(IngestRejected, PermissionError):
    """No token, an unknown or revoked token, or a token used for another device's topic."""


def token_hash(token: str) -> str:
    """SHA-256 of a device token (tokens are 192-bit random strings, so a fast hash is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class DeviceIdentity:
    """The unrevoked device a token belongs to."""

    device_id: int
    name: str


class DeviceAuthenticator:
    """Looks tokens up in the devices table; holds no state between calls."""

    def __init__(self, *, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def authenticate(self, token: str | None) -> DeviceIdentity:
        """The unrevoked device holding ``token``, else `Unauthorized`."""
        with self.session_factory() as session:
            found = self.identify(session=session, tokens=[token])
        return device_for(found, token)

    @staticmethod
    def identify(*, session: Session, tokens: Iterable[str | None]) -> dict[str, DeviceIdentity]:
        """The unrevoked devices of the given tokens, by token, in one query; unknown tokens are absent."""
        by_hash = {token_hash(token): token for token in set(tokens) if token}
        rows = crud.devices_by_token_hash(session=session, token_hashes=list(by_hash))
        return {by_hash[row.token_hash]: DeviceIdentity(row.id, row.name) for row in rows if row.revoked_at is None}

    @staticmethod
    def identify_ids(*, session: Session, device_ids: Iterable[int]) -> dict[int, DeviceIdentity]:
        """The unrevoked devices among ``device_ids``, by id, in one query: for messages whose publisher
        the MQTT broker authenticated as that device (no token travels with them)."""
        rows = crud.devices_by_id(session=session, device_ids=sorted(set(device_ids)))
        return {row.id: DeviceIdentity(row.id, row.name) for row in rows if row.revoked_at is None}


def device_by_id(found: dict[int, DeviceIdentity], device_id: int) -> DeviceIdentity:
    """The broker-authenticated device ``device_id`` among those found, else `Unauthorized`."""
    identity = found.get(device_id)
    if identity is None:
        raise Unauthorized(f"device {device_id} is unknown or revoked")
    return identity


def device_for(found: dict[str, DeviceIdentity], token: str | None) -> DeviceIdentity:
    """The device of ``token`` among those `DeviceAuthenticator.identify` found, else `Unauthorized`."""
    if not token:
        raise Unauthorized("no device token")
    identity = found.get(token)
    if identity is None:
        raise Unauthorized("unknown or revoked device token")
    return identity
