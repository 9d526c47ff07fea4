"""A device's stored signal over a time range, with its beats, rhythm changes, alerts and gaps: read back
for an alert's strip and written out as EDF+ or WFDB (`cardiowatch.data.export` does the writing).

Samples are placed on one grid at the device's rate, starting at the first stored sample in the range.
Consecutive frames are stored back to back (`server/storage/clock.py`), so a frame starting within
`SNAP_SAMPLES` of where the previous one ended continues it; a later start is a gap (frames never
stored), kept as a gap, never filled in. Lead-off frames are exported as stored and marked ``lead off``.

Physical units come from the frames: ``scale_nv`` nanovolts per count gives ``mV`` with an ADC gain of
``1e6 / scale_nv`` counts per mV; a device sending ``scale_nv = 0`` (arbitrary units) exports ``adu``
with a gain of 1.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from cardiowatch import NOT_A_MEDICAL_DEVICE
from cardiowatch.data.export import (
    NOTE_SYMBOL, RHYTHM_SYMBOL, ExportAnnotation, ExportSignal, runs, write_edf, write_wfdb,
)
from cardiowatch.protocol import SensorKind, frame_decode
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.models import Episode, SampleChunk

#: Longest range one export covers (6 h of 250 Hz ECG is 5.4 M samples); longer ones are refused.
MAX_EXPORT_S = 6 * 3600
#: A frame starting this close to where the previous one ended continues it (clock rounding).
SNAP_SAMPLES = 2
#: Longest a stored frame can span: its first sample may lie this far before a range and still reach it.
_FRAME_SPAN_MAX_US = 15_000_000
#: WFDB symbols of the stored beat labels (AAMI classes are WFDB symbols; a PPG pulse has no class).
BEAT_SYMBOLS = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "": "Q"}
CHANNEL_NAMES = {SensorKind.ECG: ["ECG"], SensorKind.PPG_RED_IR: ["PPG red", "PPG IR"],
                 SensorKind.PPG_ANALOG: ["PPG"]}
FORMATS = ("edf", "wfdb")


class ExportError(ValueError):
    """A range that cannot be exported (too long, empty, mixed sampling rates)."""


class NothingStored(ExportError):
    """No sample of the device is stored in the range."""


@dataclass(frozen=True)
class Mark:
    """An annotation in data time: ``kind`` is ``beat`` (text: the label), ``rhythm`` (text: the code),
    ``alert`` (text: its kind) or ``lead_off``."""

    t_us: int
    kind: str
    text: str
    end_t_us: int | None = None


@dataclass
class StoredStretch:
    """The stored signal of one device from ``start_t_us`` (its first sample) at ``fs``."""

    device_id: int
    start_t_us: int
    fs_millihz: int
    sensor: SensorKind
    scale_nv: int
    counts: np.ndarray  #: (n, channels) ADC counts, 0 where not stored
    stored: np.ndarray  #: (n,) False in gaps
    lead_off: np.ndarray  #: (n,) frames flagged lead-off
    marks: list[Mark] = field(default_factory=list)

    @property
    def fs(self) -> float:
        return self.fs_millihz / 1000.0

    @property
    def n_samples(self) -> int:
        return len(self.counts)

    @property
    def end_t_us(self) -> int:
        return self.time_of(self.n_samples)

    @property
    def units(self) -> str:
        return "mV" if self.scale_nv > 0 else "adu"

    @property
    def counts_per_unit(self) -> float:
        """The ADC gain: counts per ``units``."""
        return 1e6 / self.scale_nv if self.scale_nv > 0 else 1.0

    def sample_of(self, t_us: int) -> int:
        return round((t_us - self.start_t_us) * self.fs_millihz / 1e9)

    def time_of(self, sample: int) -> int:
        return self.start_t_us + round(sample * 1e9 / self.fs_millihz)

    def gaps(self) -> list[tuple[int, int]]:
        return runs(~self.stored)


def episode_range(*, session: Session, device_id: int, episode_id: int) -> tuple[int, int]:
    """``(start_t_us, end_t_us)`` of a device's episode; one still going on ends `MAX_EXPORT_S` after its
    start (what is stored of it). Raises `NothingStored` for an episode the device does not have."""
    episode = session.get(Episode, episode_id)
    if episode is None or episode.device_id != device_id:
        raise NothingStored(f"no episode {episode_id} of device {device_id}")
    end = episode.end_t_us if episode.end_t_us is not None else episode.start_t_us + MAX_EXPORT_S * 1_000_000
    return episode.start_t_us, end


def read_stretch(*, session: Session, device_id: int, start_t_us: int, end_t_us: int) -> StoredStretch:
    """The stored signal of a device in ``[start_t_us, end_t_us)``, with its annotations.

    Raises `ExportError` for an empty or over-long range or a change of sampling rate or sensor inside
    it, and `NothingStored` when no sample lies in it.
    """
    if end_t_us <= start_t_us:
        raise ExportError(f"the range must end after it starts, got {start_t_us} .. {end_t_us} µs")
    if end_t_us - start_t_us > MAX_EXPORT_S * 1_000_000:
        raise ExportError(f"a range of at most {MAX_EXPORT_S // 3600} h is exported at once, got "
                          f"{(end_t_us - start_t_us) / 3.6e9:.1f} h: export it in pieces")
    query = (select(SampleChunk.t_us, SampleChunk.frame)
             .where(SampleChunk.device_id == device_id, SampleChunk.t_us >= start_t_us - _FRAME_SPAN_MAX_US,
                    SampleChunk.t_us < end_t_us)
             .order_by(SampleChunk.t_us, SampleChunk.seq).execution_options(yield_per=1000))
    pieces: list[tuple[int, np.ndarray, bool]] = []
    first = None
    for row in session.execute(query):
        frame = frame_decode(row.frame)
        if first is None:
            first_end = row.t_us + round(frame.n_samples * 1e9 / frame.fs_millihz)
            if first_end <= start_t_us:
                continue  # ends before the range
            first = frame
        elif (frame.fs_millihz, frame.sensor) != (first.fs_millihz, first.sensor):
            raise ExportError(f"device {device_id} changed its sampling rate or sensor inside the range "
                              f"({first.fs_millihz / 1000:g} Hz {first.sensor.name} to {frame.fs_millihz / 1000:g} "
                              f"Hz {frame.sensor.name}): export the two parts separately")
        pieces.append((row.t_us, np.asarray(frame.samples, dtype=np.int64), frame.lead_off))
    if first is None:
        raise NothingStored(f"no stored signal of device {device_id} in the range")
    stretch = _join(device_id, first.fs_millihz, first.sensor, first.scale_nv, pieces, start_t_us, end_t_us)
    if stretch.n_samples == 0:
        raise NothingStored(f"no stored signal of device {device_id} in the range")
    stretch.marks = _marks(session, stretch)
    return stretch


def _join(device_id: int, fs_millihz: int, sensor: SensorKind, scale_nv: int,
          pieces: list[tuple[int, np.ndarray, bool]], start_t_us: int, end_t_us: int) -> StoredStretch:
    """Frames -> one grid, from the first stored sample at or after ``start_t_us`` to ``end_t_us``."""
    per_us = fs_millihz / 1e9
    placed: list[tuple[int, np.ndarray, bool]] = []  # (index from the first frame's first sample, ...)
    origin = pieces[0][0]
    expected = None
    for t_us, samples, lead_off in pieces:
        index = round((t_us - origin) * per_us)
        if expected is not None and abs(index - expected) <= SNAP_SAMPLES:
            index = expected
        placed.append((index, samples, lead_off))
        expected = index + len(samples)
    skip = max(0, -(-(start_t_us - origin) * fs_millihz // 1_000_000_000))  # first sample time >= start
    stop = min(expected, int(-(-(end_t_us - origin) * fs_millihz // 1_000_000_000)))  # sample times < end
    n = max(0, stop - skip)
    counts = np.zeros((n, sensor.channels), dtype=np.int64)
    stored = np.zeros(n, dtype=bool)
    lead = np.zeros(n, dtype=bool)
    for index, samples, lead_off in placed:
        a, b = max(index, skip), min(index + len(samples), stop)
        if a >= b:
            continue
        counts[a - skip:b - skip] = samples[a - index:b - index]
        stored[a - skip:b - skip] = True
        lead[a - skip:b - skip] = lead_off
    # the first stored sample at or after start: leading gap samples are not part of the stretch
    lead_in = int(np.argmax(stored)) if stored.any() else n
    start = origin + round((skip + lead_in) / per_us)
    return StoredStretch(device_id=device_id, start_t_us=start, fs_millihz=fs_millihz, sensor=sensor,
                         scale_nv=scale_nv, counts=counts[lead_in:], stored=stored[lead_in:], lead_off=lead[lead_in:])


def _marks(session: Session, stretch: StoredStretch) -> list[Mark]:
    start, end = stretch.start_t_us, stretch.end_t_us
    marks = [Mark(b.t_us, "beat", b.label) for b in session.scalars(crud.beats_query(
        device_id=stretch.device_id, start_t_us=start, end_t_us=end))]
    for episode in crud.list_episodes(session=session, device_id=stretch.device_id, start_t_us=start,
                                      end_t_us=end):
        # a rhythm that began before the stretch is noted at its first sample (the MIT-BIH convention)
        marks.append(Mark(max(episode.start_t_us, start), "rhythm", episode.rhythm, episode.end_t_us))
    margin_s = 3600.0  # an alert's onset lies before it was raised; look wide, keep those in the stretch
    for alert in crud.list_alerts(session=session, device_id=stretch.device_id, start_at=start / 1e6 - margin_s,
                                  end_at=end / 1e6 + margin_s):
        t_us = alert.onset_t_us if alert.onset_t_us is not None else round(alert.raised_at * 1e6)
        if start <= t_us < end:
            marks.append(Mark(t_us, "alert", alert.kind, alert.end_t_us))
    for a, b in runs(stretch.lead_off):
        marks.append(Mark(stretch.time_of(a), "lead_off", "lead off", stretch.time_of(b)))
    return sorted(marks, key=lambda m: m.t_us)


# ----------------------------------------------------------------------------------------- writing
def export_signal(stretch: StoredStretch, *, name: str) -> ExportSignal:
    """The stretch as `cardiowatch.data.export` writes it."""
    annotations = []
    for mark in stretch.marks:
        sample = min(max(stretch.sample_of(mark.t_us), 0), stretch.n_samples - 1)
        if mark.kind == "beat":
            annotations.append(ExportAnnotation(sample, BEAT_SYMBOLS.get(mark.text, "Q")))
        elif mark.kind == "rhythm":
            annotations.append(ExportAnnotation(sample, RHYTHM_SYMBOL, f"({mark.text}"))
        else:
            duration = 0.0 if mark.end_t_us is None else max(0.0, (mark.end_t_us - mark.t_us) / 1e6)
            text = f"alert {mark.text}" if mark.kind == "alert" else mark.text
            annotations.append(ExportAnnotation(sample, NOTE_SYMBOL, text, duration))
    start = dt.datetime.fromtimestamp(stretch.start_t_us / 1e6, tz=dt.timezone.utc)
    comments = [f"cardiowatch device {stretch.device_id}, {stretch.sensor.name.lower()}, "
                f"from {start.isoformat()} (UTC)", NOT_A_MEDICAL_DEVICE]
    return ExportSignal(name=name, fs=stretch.fs, counts=stretch.counts, stored=stretch.stored,
                        channel_names=CHANNEL_NAMES[stretch.sensor], units=stretch.units,
                        counts_per_unit=stretch.counts_per_unit, start=start, annotations=annotations,
                        comments=comments)


def export_name(stretch: StoredStretch) -> str:
    """A record name for the export: device and start time (WFDB record names allow letters, digits, _)."""
    start = dt.datetime.fromtimestamp(stretch.start_t_us / 1e6, tz=dt.timezone.utc)
    return f"cw{stretch.device_id}_{start:%Y%m%d_%H%M%S}"


def export_files(stretch: StoredStretch, fmt: str, folder: Path) -> list[Path]:
    """Write the export into ``folder``: ``<name>.edf``, or the WFDB record ``<name>.hea/.dat/.atr``."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    name = export_name(stretch)
    signal = export_signal(stretch, name=name)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_edf(signal, folder / f"{name}.edf")] if fmt == "edf" else write_wfdb(signal, folder)


def export_bytes(stretch: StoredStretch, fmt: str) -> tuple[bytes, str, str]:
    """The export as ``(content, file name, media type)``: one ``.edf`` file, or a zip of the WFDB files."""
    with tempfile.TemporaryDirectory(prefix="cardiowatch-export-") as tmp:
        paths = export_files(stretch, fmt, Path(tmp))
        if fmt == "edf":
            return paths[0].read_bytes(), paths[0].name, "application/octet-stream"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
        return buffer.getvalue(), f"{export_name(stretch)}.zip", "application/zip"
