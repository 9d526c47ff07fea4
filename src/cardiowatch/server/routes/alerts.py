"""Alerts: list by device, state and time; one alert with its history; acknowledge; snooze."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status

from cardiowatch.server.alerts import UnknownAlert
from cardiowatch.server.deps import AlertIdPath, ApiKeyDep, KeyedRoute, SessionDep
from cardiowatch.server.ids import DEVICE_ID_MAX, StrictDeviceId
from cardiowatch.server.schemas import AckRequest, AlertActionPublic, AlertDetail, AlertPublic, SnoozeRequest
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.models import AlertRow

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], dependencies=[ApiKeyDep],
                   route_class=KeyedRoute)


@router.get("")
def list_alerts(session: SessionDep, device_id: Annotated[StrictDeviceId | None, Query(ge=1, le=DEVICE_ID_MAX)] = None,
                state: Annotated[str | None, Query(pattern="^(active|acknowledged|snoozed|resolved)$")] = None,
                start_at: Annotated[float | None, Query(ge=0, le=1e11)] = None,
                end_at: Annotated[float | None, Query(ge=0, le=1e11)] = None,
                limit: Annotated[int, Query(ge=1, le=crud.MAX_ROWS)] = 1000) -> list[AlertPublic]:
    """Alerts raised in ``[start_at, end_at)`` (Unix seconds)."""
    rows = crud.list_alerts(session=session, device_id=device_id, state=state, start_at=start_at, end_at=end_at,
                            limit=limit)
    return [AlertPublic.model_validate(r) for r in rows]


def _detail(session, alert_id: int) -> AlertDetail:  # noqa: ANN001
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    actions = [AlertActionPublic.model_validate(a) for a in crud.list_alert_actions(session=session, alert_id=alert_id)]
    return AlertDetail(**AlertPublic.model_validate(row).model_dump(), actions=actions)


@router.get("/{alert_id}")
def get_alert(alert_id: AlertIdPath, session: SessionDep) -> AlertDetail:
    return _detail(session, alert_id)


async def _act(request: Request, method: str, alert_id: int, **kwargs) -> None:  # noqa: ANN003
    try:
        await request.app.state.runtime.alert_action(method, alert_id=alert_id, **kwargs)
    except UnknownAlert as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (RuntimeError, ValueError) as exc:  # a transition the alert's state does not allow
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post("/{alert_id}/ack")
async def acknowledge_alert(alert_id: AlertIdPath, body: AckRequest, request: Request, session: SessionDep) -> AlertDetail:
    """Acknowledge an active or snoozed alert (recorded with the user and time)."""
    await _act(request, "acknowledge", alert_id, user=body.user)
    session.expire_all()
    return _detail(session, alert_id)


@router.post("/{alert_id}/snooze")
async def snooze_alert(alert_id: AlertIdPath, body: SnoozeRequest, request: Request, session: SessionDep) -> AlertDetail:
    """Silence an active alert for ``minutes``; it comes back then if its condition persists."""
    now = request.app.state.runtime.clock()
    await _act(request, "snooze", alert_id, user=body.user, until=now + body.minutes * 60.0)
    session.expire_all()
    return _detail(session, alert_id)
