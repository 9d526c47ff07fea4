"""FastAPI dependencies as named aliases: a route's signature says what it needs."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Path, Request, Response, status
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from cardiowatch.server.broker_auth import BrokerAccounts
from cardiowatch.server.config import Settings
from cardiowatch.server.ids import DEVICE_ID_MAX, ROW_ID_MAX, StrictDeviceId, StrictRowId
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


def api_key_valid(settings: Settings, presented: str | None) -> bool:
    """Whether ``presented`` is the server's API key (always true when it runs without one)."""
    if settings.api_key is None:
        return True
    return presented is not None and hmac.compare_digest(presented.encode(),
                                                         settings.api_key.get_secret_value().encode())


def require_api_key(settings: SettingsDep,
                    x_api_key: Annotated[str | None, Header(description="The server's API key")] = None) -> None:
    """Management and data routes need ``X-API-Key`` when the server has a key configured.

    `KeyedRoute` runs the same check on these routes before their body is read; this dependency marks
    them (and documents the header in OpenAPI).
    """
    if not api_key_valid(settings, x_api_key):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-API-Key")


def depends_on(dependant: Dependant, call: Callable[..., object]) -> bool:
    """Whether a route's dependency tree calls ``call`` anywhere."""
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)


class KeyedRoute(APIRoute):
    """A route that checks the API key from the headers before FastAPI reads and validates its body.

    FastAPI reads the body before it resolves dependencies, so ``require_api_key`` alone lets anyone
    without the key make the server read (up to the body limit) and parse a body before the 401. Routers
    use this class (``APIRouter(route_class=KeyedRoute)``); only routes that depend on ``require_api_key``
    are checked early.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not depends_on(self.dependant, require_api_key):
            return handler

        async def keyed_handler(request: Request) -> Response:
            if not api_key_valid(request.app.state.settings, request.headers.get("x-api-key")):
                return JSONResponse({"detail": "missing or wrong X-API-Key"},
                                    status_code=status.HTTP_401_UNAUTHORIZED)
            return await handler(request)

        return keyed_handler


ApiKeyDep = Depends(require_api_key)


DeviceIdPath = Annotated[StrictDeviceId, Path(ge=1, le=DEVICE_ID_MAX, description="numeric device id (as in frames)")]
AlertIdPath = Annotated[StrictRowId, Path(ge=1, le=ROW_ID_MAX)]


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
