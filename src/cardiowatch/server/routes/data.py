"""Per-device data by time range (device time aligned to Unix µs): beats, episodes, summaries, waveform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cardiowatch.protocol import frame_decode
from cardiowatch.server.deps import ApiKeyDep, DeviceDep, KeyedRoute, SessionDep
from cardiowatch.server.schemas import BeatPublic, ChunkPublic, EpisodePublic, StatusPublic, SummaryPublic
from cardiowatch.server.storage import crud

router = APIRouter(prefix="/api/v1/devices/{device_id}", tags=["data"], dependencies=[ApiKeyDep],
                   route_class=KeyedRoute)

StartQuery = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="from this time, Unix µs (inclusive)")]
EndQuery = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="to this time, Unix µs (exclusive)")]
LimitQuery = Annotated[int, Query(ge=1, le=crud.MAX_ROWS)]


@router.get("/beats")
def list_beats(device: DeviceDep, session: SessionDep, start_us: StartQuery = None, end_us: EndQuery = None,
               limit: LimitQuery = 5000) -> list[BeatPublic]:
    rows = crud.list_beats(session=session, device_id=device.id, start_t_us=start_us, end_t_us=end_us, limit=limit)
    return [BeatPublic.model_validate(r) for r in rows]


@router.get("/episodes")
def list_episodes(device: DeviceDep, session: SessionDep, start_us: StartQuery = None, end_us: EndQuery = None,
                  limit: LimitQuery = 1000) -> list[EpisodePublic]:
    rows = crud.list_episodes(session=session, device_id=device.id, start_t_us=start_us, end_t_us=end_us,
                              limit=limit)
    return [EpisodePublic.model_validate(r) for r in rows]


@router.get("/summaries")
def list_summaries(device: DeviceDep, session: SessionDep, start_us: StartQuery = None, end_us: EndQuery = None,
                   limit: LimitQuery = 1000) -> list[SummaryPublic]:
    rows = crud.list_summaries(session=session, device_id=device.id, start_t_us=start_us, end_t_us=end_us,
                               limit=limit)
    return [SummaryPublic.model_validate(r) for r in rows]


@router.get("/samples")
def list_samples(device: DeviceDep, session: SessionDep, start_us: StartQuery = None, end_us: EndQuery = None,
                 limit: Annotated[int, Query(ge=1, le=2000)] = 300) -> list[ChunkPublic]:
    """Raw waveform chunks (one per frame) whose first sample lies in the range, in time order."""
    rows = crud.list_chunks(session=session, device_id=device.id, start_t_us=start_us, end_t_us=end_us,
                            limit=limit)
    out = []
    for row in rows:
        frame = frame_decode(row.frame)
        out.append(ChunkPublic(seq=row.seq, t_us=row.t_us, fs=frame.fs, sensor=frame.sensor.name.lower(),
                               flags=int(frame.flags), scale_nv=frame.scale_nv, samples=frame.samples.tolist()))
    return out


@router.get("/status")
def latest_status(device: DeviceDep, session: SessionDep) -> StatusPublic | None:
    report = crud.latest_status(session=session, device_id=device.id)
    return None if report is None else StatusPublic.model_validate(report)
