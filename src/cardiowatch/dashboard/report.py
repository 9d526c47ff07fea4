"""The printable rhythm report of a device over a time range: ``GET /report/{device_id}?start=&end=``.

The dashboard speaks only the server's REST API, even here: the beats, the rhythm episodes the server
stored while it raised its alerts, and the stored waveform are read through it (in process, over ASGI),
then handed to the rhythm report (`cardiowatch.evaluate.report.write_report`): summary, tachogram, rhythm
timeline, strips. The rhythm is not analysed again, so the report cannot disagree with the alerts.
"""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import numpy as np
from fastapi import APIRouter, HTTPException, Path as PathParam, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cardiowatch.dashboard.auth import API_KEY_HEADER, OptionalSessionDep
from cardiowatch.server.ids import DEVICE_ID_MAX, StrictDeviceId

logger = logging.getLogger(__name__)

router = APIRouter(tags=["dashboard"])

#: Longest range whose waveform is fetched for the report's strips (the samples endpoint's page size).
MAX_STRIP_CHUNKS = 2000
#: Most episodes read for one report (the episodes endpoint's page size).
MAX_EPISODES = 1000
#: Time resolution of beat times when no waveform gives the device's own rate (1 ms).
BEAT_TIME_RESOLUTION_HZ = 1000.0
#: Beat classes the rhythm analysis understands (AAMI); anything else means "not classified" (PPG).
AAMI_LABELS = frozenset({"N", "S", "V", "F", "Q"})
#: Fewest beats worth a report.
MIN_BEATS = 3


async def _get(client: httpx.AsyncClient, path: str, **params: object) -> list[dict]:
    response = await client.get(path, params={k: v for k, v in params.items() if v is not None})
    if response.is_client_error:   # the API's own answer (404, 422) is the report's, never a 500
        detail = response.json().get("detail", "not found")
        raise HTTPException(response.status_code, detail if isinstance(detail, str) else "invalid request")
    response.raise_for_status()
    return response.json()


def _signal(chunks: list[dict]) -> tuple[float, int, np.ndarray] | None:
    """Stored chunks -> (fs, t0_us, samples with NaN for gaps and lead-off), or None without chunks."""
    if not chunks:
        return None
    fs = float(chunks[0]["fs"])
    t0_us = int(chunks[0]["t_us"])
    rows = [c for c in chunks if math.isclose(float(c["fs"]), fs)]
    last = rows[-1]
    n = round((int(last["t_us"]) - t0_us) * fs / 1e6) + len(last["samples"])
    out = np.full(n, np.nan)
    for chunk in rows:
        values = np.asarray(chunk["samples"], dtype=np.float64)[:, -1]
        start = round((int(chunk["t_us"]) - t0_us) * fs / 1e6)
        if not int(chunk["flags"]) & 0x01:  # LEAD_OFF frames hold no heart signal
            scale = int(chunk.get("scale_nv") or 0)
            out[start:start + len(values)] = values * scale * 1e-6 if scale else values
    return fs, t0_us, out


@router.get("/report/{device_id}", include_in_schema=False)
async def device_report(
    device_id: Annotated[StrictDeviceId, PathParam(ge=1, le=DEVICE_ID_MAX)],
    request: Request,
    session: OptionalSessionDep,
    start: Annotated[float, Query(ge=0, le=1e11, description="Unix seconds")],
    end: Annotated[float, Query(ge=0, le=1e11, description="Unix seconds")],
) -> Response:
    """The rhythm report of ``device_id`` between ``start`` and ``end``, as one printable HTML page."""
    if session is None:
        return RedirectResponse(f"/login?next=/report/{device_id}", status_code=status.HTTP_303_SEE_OTHER)
    if not end > start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"end {end} must be after start {start}")
    start_us, end_us = int(start * 1e6), int(end * 1e6)
    headers = {}
    key = request.app.state.dashboard_api_key()
    if key is not None:
        headers[API_KEY_HEADER] = key
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cardiowatch.internal", headers=headers,
                                 timeout=60) as client:
        device = await _get(client, f"/api/v1/devices/{device_id}")
        beats = await _get(client, f"/api/v1/devices/{device_id}/beats", start_us=start_us, end_us=end_us,
                           limit=10000)
        episodes = await _get(client, f"/api/v1/devices/{device_id}/episodes", start_us=start_us, end_us=end_us,
                              limit=MAX_EPISODES)
        chunks = await _get(client, f"/api/v1/devices/{device_id}/samples", start_us=start_us, end_us=end_us,
                            limit=MAX_STRIP_CHUNKS)
    if len(beats) < MIN_BEATS:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"device {device_id} has {len(beats)} analysed beats in this range: nothing to report")
    signal = _signal(chunks)
    if signal is None or len(chunks) >= MAX_STRIP_CHUNKS:   # no waveform, or only part of it: no strips
        fs, t0_us, samples = BEAT_TIME_RESOLUTION_HZ, int(beats[0]["t_us"]), None
        if signal is not None:
            fs = signal[0]
    else:
        fs, t0_us, samples = signal
    t_us = np.array([b["t_us"] for b in beats], dtype=np.int64)
    keep = t_us >= t0_us
    sample = np.round((t_us[keep] - t0_us) * fs / 1e6).astype(np.int64)
    labels = [b["label"] for b in beats]
    label = np.array(labels, dtype=object)[keep] if set(labels) <= AAMI_LABELS else None
    stored = _stored_episodes(episodes, fs=fs, t0_us=t0_us, last_sample=int(sample[-1]) if len(sample) else 0,
                              end_us=end_us)
    name = device["device"]["name"]
    title = f"{name} · {_fmt_utc(start)} – {_fmt_utc(end)} UTC"

    def render() -> str:
        from cardiowatch.evaluate.report import write_report

        with tempfile.TemporaryDirectory() as tmp:
            path = write_report(Path(tmp) / "report.html", title=title, fs=fs, sample=sample, label=label,
                                signal=samples, signal_name=(device["device"].get("sensor") or "").upper(),
                                episodes=stored)
            return Path(path).read_text()

    html_text = await run_in_threadpool(render)
    logger.info("report of device %d (%d beats) for %r", device_id, len(sample), session.user.name)
    return HTMLResponse(html_text, headers={"cache-control": "no-store"})


def _stored_episodes(episodes: list[dict], *, fs: float, t0_us: int, last_sample: int,
                     end_us: int) -> list[tuple[str, int, int]]:
    """The stored episodes as ``(rhythm, start_sample, end_sample)`` at ``fs`` from ``t0_us``, cut to the
    report's range; one still open ends at the last beat."""
    out = []
    for row in episodes:
        start = max(0, round((int(row["start_t_us"]) - t0_us) * fs / 1e6))
        if row["end_t_us"] is None:
            end = last_sample
        else:
            end = round((min(int(row["end_t_us"]), end_us) - t0_us) * fs / 1e6)
        if end > start:
            out.append((str(row["rhythm"]), start, end))
    return out


def _fmt_utc(t: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
