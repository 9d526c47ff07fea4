"""Alerts: list by device, state and time; one alert with its history and its strip; acknowledge; snooze."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status

from cardiowatch.server.alerts import UnknownAlert
from cardiowatch.server.deps import AlertIdPath, ApiKeyDep, KeyedRoute, SessionDep
from cardiowatch.server.evidence import STRIP_AFTER_S, STRIP_BEFORE_S
from cardiowatch.server.export import CHANNEL_NAMES, NothingStored, read_stretch
from cardiowatch.server.ids import DEVICE_ID_MAX, StrictDeviceId
from cardiowatch.server.schemas import (
    AckRequest, AlertActionPublic, AlertDetail, AlertPublic, BeatPublic, SnoozeRequest, StripAnnotation, StripPublic,
)
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


StripSeconds = Annotated[float, Query(gt=0, le=60, description="seconds of signal on this side of the onset")]


@router.get("/{alert_id}/strip")
def get_alert_strip(alert_id: AlertIdPath, session: SessionDep, before_s: StripSeconds = STRIP_BEFORE_S,
                    after_s: StripSeconds = STRIP_AFTER_S) -> StripPublic:
    """The stored signal around the alert's onset (``before_s`` before to ``after_s`` after), with the
    beats, rhythm changes, alerts, gaps and lead-off stretches in it; samples are the device's counts
    (physical value = counts / ``counts_per_unit``), None where nothing was stored."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    onset = row.onset_t_us if row.onset_t_us is not None else round(row.raised_at * 1e6)
    start, end = onset - round(before_s * 1e6), onset + round(after_s * 1e6)
    alert = AlertPublic.model_validate(row)
    try:
        stretch = read_stretch(session=session, device_id=row.device_id, start_t_us=start, end_t_us=end)
    except NothingStored:
        return StripPublic(alert=alert, start_t_us=start, end_t_us=end, fs=None, sensor=None, units=None,
                           counts_per_unit=None, channels=[], samples=[], beats=[], annotations=[])
    stored = stretch.stored.tolist()
    samples = [[int(v) if ok else None for v, ok in zip(stretch.counts[:, c].tolist(), stored)]
               for c in range(stretch.counts.shape[1])]
    beats = [BeatPublic(t_us=m.t_us, label=m.text) for m in stretch.marks if m.kind == "beat"]
    notes = [StripAnnotation(t_us=m.t_us, kind=m.kind, text=m.text, end_t_us=m.end_t_us)
             for m in stretch.marks if m.kind != "beat"]
    notes += [StripAnnotation(t_us=stretch.time_of(a), kind="gap", text="signal gap",
                              end_t_us=stretch.time_of(b)) for a, b in stretch.gaps()]
    return StripPublic(alert=alert, start_t_us=stretch.start_t_us, end_t_us=stretch.end_t_us, fs=stretch.fs,
                       sensor=stretch.sensor.name.lower(), units=stretch.units,
                       counts_per_unit=stretch.counts_per_unit, channels=CHANNEL_NAMES[stretch.sensor],
                       samples=samples, beats=beats, annotations=sorted(notes, key=lambda n: n.t_us))


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
