"""FastAPI dependencies as named aliases: a route's signature says what it needs."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request, status
from sqlalchemy.orm import Session

from cardiowatch.server.broker_auth import BrokerAccounts
from cardiowatch.server.config import Settings
from cardiowatch.server.ingest import Ingestor
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.models import Device


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_ingestor(request: Request) -> Ingestor:
    return request.app.state.ingestor


def get_broker_accounts(request: Request) -> BrokerAccounts:
    return request.app.state.broker_accounts


SettingsDep = Annotated[Settings, Depends(get_settings)]
BrokerAccountsDep = Annotated[BrokerAccounts, Depends(get_broker_accounts)]
SessionDep = Annotated[Session, Depends(get_session)]
IngestorDep = Annotated[Ingestor, Depends(get_ingestor)]


def require_api_key(settings: SettingsDep,
                    x_api_key: Annotated[str | None, Header(description="The server's API key")] = None) -> None:
    """Management and data routes need ``X-API-Key`` when the server has a key configured."""
    if settings.api_key is None:
        return
    if x_api_key is None or not hmac.compare_digest(x_api_key, settings.api_key.get_secret_value()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-API-Key")


ApiKeyDep = Depends(require_api_key)


DeviceIdPath = Annotated[int, Path(ge=1, le=2**32 - 1, description="numeric device id (as in frames)")]
AlertIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


def get_device_or_404(device_id: DeviceIdPath, session: SessionDep) -> Device:
    device = crud.get_device(session=session, device_id=device_id)
    if device is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id}")
    return device


DeviceDep = Annotated[Device, Depends(get_device_or_404)]


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


TokenDep = Annotated[str | None, Depends(bearer_token)]
