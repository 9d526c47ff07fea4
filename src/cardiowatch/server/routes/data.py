"""Per-device data by time range (device time aligned to Unix µs): beats, episodes, summaries, waveform,
and the export of a range or an episode as EDF+ or WFDB."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from cardiowatch.protocol import frame_decode
from cardiowatch.server.deps import ApiKeyDep, DeviceDep, KeyedRoute, SessionDep
from cardiowatch.server.schemas import BeatPublic, ChunkPublic, EpisodePublic, StatusPublic, SummaryPublic
from cardiowatch.server.export import ExportError, NothingStored, episode_range, export_bytes, read_stretch
from cardiowatch.server.ids import ROW_ID_MAX, StrictRowId
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


@router.get("/export", response_class=Response, responses={
    200: {"content": {"application/octet-stream": {}, "application/zip": {}},
          "description": "an EDF+ file, or a zip of the WFDB record (.hea, .dat, .atr)"},
    404: {"description": "no stored signal in the range"},
    422: {"description": "a range that cannot be exported"}})
def export_range(device: DeviceDep, session: SessionDep, start_us: StartQuery = None, end_us: EndQuery = None,
                 episode_id: Annotated[StrictRowId | None, Query(ge=1, le=ROW_ID_MAX, description="an episode")] = None,
                 format: Annotated[str, Query(pattern="^(edf|wfdb)$")] = "edf") -> Response:  # noqa: A002
    """The stored signal of ``[start_us, end_us)``, or of an episode (its ``id`` in the episodes list), with
    beats, rhythm changes, alerts, gaps and lead-off stretches as annotations (`cardiowatch.server.export`,
    docs/protocol.md)."""
    try:
        if episode_id is not None:
            start_us, end_us = episode_range(session=session, device_id=device.id, episode_id=episode_id)
        if start_us is None or end_us is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give start_us and end_us, or episode_id")
        stretch = read_stretch(session=session, device_id=device.id, start_t_us=start_us, end_t_us=end_us)
        content, name, media_type = export_bytes(stretch, format)
    except NothingStored as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except ExportError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})
