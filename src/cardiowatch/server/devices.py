"""Device registration and tokens (shared by the REST API and the `cardiowatch device` commands).

Each change is made on the MQTT broker (`server/broker_auth.py`) before the caller commits it to the
database, so a broker that cannot be changed leaves the device as it was (`BrokerAccountError`).
"""

from __future__ import annotations

import enum
import secrets

from sqlalchemy.orm import Session

from cardiowatch.server.broker_auth import BrokerAccounts, NullBrokerAccounts
from cardiowatch.server.device_auth import token_hash
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.models import Device

#: A device that sent nothing for this long is STALE (its frames come every few hundred ms).
STALE_AFTER_S = 10.0


class DeviceLink(str, enum.Enum):
    """What the server knows of a device's data link."""

    NEVER_SEEN = "never_seen"
    STREAMING = "streaming"
    STALE = "stale"
    REVOKED = "revoked"


def device_link(device: Device, *, now: float) -> DeviceLink:
    if device.revoked_at is not None:
        return DeviceLink.REVOKED
    if device.last_seen_at is None:
        return DeviceLink.NEVER_SEEN
    return DeviceLink.STREAMING if now - device.last_seen_at <= STALE_AFTER_S else DeviceLink.STALE


#: 24 random bytes -> 32 URL-safe characters, within the protocol's 64-byte token limit.
TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def register_device(*, session: Session, name: str, now: float,
                    accounts: BrokerAccounts | None = None) -> tuple[Device, str]:
    """Add a device; return it and its token (shown once; only its hash is stored). The token is also
    the device's MQTT broker password (login ``device-<id>``). Caller commits."""
    token = new_token()
    device = crud.create_device(session=session, name=name, token_hash=token_hash(token), now=now)
    (accounts or NullBrokerAccounts()).add_device(device.id, token)
    return device, token


def rotate_token(*, session: Session, device: Device, accounts: BrokerAccounts | None = None) -> str:
    """Replace the device's token and broker password (un-revoking it); return the new token. Caller commits."""
    token = new_token()
    (accounts or NullBrokerAccounts()).rotate_device(device.id, token)
    crud.set_device_token(session=session, device=device, token_hash=token_hash(token))
    return token


def revoke(*, session: Session, device: Device, now: float, accounts: BrokerAccounts | None = None) -> Device:
    """Refuse the device from now on, on every transport; its stored data is kept. Caller commits."""
    (accounts or NullBrokerAccounts()).revoke_device(device.id)
    return crud.revoke_device(session=session, device=device, now=now)
