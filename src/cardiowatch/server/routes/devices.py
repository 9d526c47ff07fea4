"""Devices: register (the token is shown once), list, state, rotate the token, revoke."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request, status

from cardiowatch.server.deps import ApiKeyDep, BrokerAccountsDep, DeviceDep, KeyedRoute, SessionDep
from cardiowatch.server.devices import device_link, register_device, revoke, rotate_token
from cardiowatch.server.schemas import DeviceCreate, DevicePublic, DeviceState, DeviceToken, StatusPublic
from cardiowatch.server.storage import crud

router = APIRouter(prefix="/api/v1/devices", tags=["devices"], dependencies=[ApiKeyDep],
                   route_class=KeyedRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_device(body: DeviceCreate, session: SessionDep, accounts: BrokerAccountsDep) -> DeviceToken:
    """Register a device. The answer holds its token: store it on the device now, it is not shown again."""
    if crud.get_device_by_name(session=session, name=body.name) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"a device named {body.name!r} exists")
    device, token = register_device(session=session, name=body.name, now=time.time(), accounts=accounts)
    session.commit()
    return DeviceToken(id=device.id, name=device.name, token=token)


@router.get("")
def list_devices(session: SessionDep) -> list[DevicePublic]:
    return [DevicePublic.model_validate(d) for d in crud.list_devices(session=session)]


@router.get("/{device_id}")
def get_device(device: DeviceDep, session: SessionDep, request: Request) -> DeviceState:
    """A device with its latest status report, alert level and number of stored frames."""
    report = crud.latest_status(session=session, device_id=device.id)
    return DeviceState(device=DevicePublic.model_validate(device), link=device_link(device, now=time.time()),
                       status=None if report is None else StatusPublic.model_validate(report),
                       alert_level=request.app.state.runtime.alert_level(session, device.id),
                       stored_frames=crud.count_chunks(session=session, device_id=device.id))


@router.post("/{device_id}/token")
def rotate_device_token(device: DeviceDep, session: SessionDep, accounts: BrokerAccountsDep) -> DeviceToken:
    """Give the device a new token (the old one stops working at once); un-revokes a revoked device."""
    token = rotate_token(session=session, device=device, accounts=accounts)
    session.commit()
    return DeviceToken(id=device.id, name=device.name, token=token)


@router.post("/{device_id}/revoke")
def revoke_device(device: DeviceDep, session: SessionDep, accounts: BrokerAccountsDep) -> DevicePublic:
    """Refuse everything the device sends from now on; its stored data is kept."""
    revoke(session=session, device=device, now=time.time(), accounts=accounts)
    session.commit()
    return DevicePublic.model_validate(device)
