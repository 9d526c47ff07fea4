"""The printable rhythm report of a device over a time range: ``GET /report/{device_id}?start=&end=``.

The dashboard speaks only the server's REST API, even here: the beats and the stored waveform are read
through it (in process, over ASGI), then handed to the rhythm issue's report
(`cardiowatch.evaluate.report.write_report`): summary, tachogram, rhythm timeline, strips, events.
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
    name = device["device"]["name"]
    title = f"{name} · {_fmt_utc(start)} – {_fmt_utc(end)} UTC"

    def render() -> str:
        from cardiowatch.evaluate.report import write_report

        with tempfile.TemporaryDirectory() as tmp:
            path = write_report(Path(tmp) / "report.html", title=title, fs=fs, sample=sample, label=label,
                                signal=samples, signal_name=(device["device"].get("sensor") or "").upper())
            return Path(path).read_text()

    html_text = await run_in_threadpool(render)
    logger.info("report of device %d (%d beats) for %r", device_id, len(sample), session.user.name)
    return HTMLResponse(html_text, headers={"cache-control": "no-store"})


def _fmt_utc(t: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
