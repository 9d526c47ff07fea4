"""Device registration and tokens (shared by the REST API and `cardiowatch device add`)."""

from __future__ import annotations

import enum
import secrets

from sqlalchemy.orm import Session

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


def register_device(*, session: Session, name: str, now: float) -> tuple[Device, str]:
    """Add a device; return it and its token (shown once; only its hash is stored). Caller commits."""
    token = new_token()
    device = crud.create_device(session=session, name=name, token_hash=token_hash(token), now=now)
    return device, token


def rotate_token(*, session: Session, device: Device) -> str:
    """Replace the device's token; return the new one. Caller commits."""
    token = new_token()
    crud.set_device_token(session=session, device=device, token_hash=token_hash(token))
    return token
