"""Storing frames: cut, decode, validate, dedupe by (device, seq), place in time, insert. No analysis here.

`frames_cut` and `frames_decode` turn one message's bytes into frames of the device that sent it;
`FrameStore.store` adds every new frame of a batch of messages to the session in one statement. The
caller commits: that commit is the acknowledgement point.

A frame is refused on its own (the others of its message are still stored) with a `FrameError`::

    FrameError (cardiowatch.errors)  cannot be decoded: TruncatedFrame, BadMagic, CrcMismatch, BadField, ...
    ├── WrongDevice                  a frame of another device than the token's
    ├── Replayed                     (device, seq) already stored with different bytes
    └── SeqTooFar                    seq further ahead of the device's high-water mark than it can have got

References
----------
.. [1] docs/protocol.md §4, sequence numbers, resends and gaps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cardiowatch._checks import check_fs
from cardiowatch.errors import BadField, FrameError, SignalError, TruncatedFrame
from cardiowatch.protocol import Frame, frame_decode, frame_iter, frame_seq
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.clock import ClockAnchor, frames_place

_MAX_STORABLE_T_US = 2**63 - 1  # BIGINT is signed

#: How far a reboot moves a device's seq: the high-water step devices keep in NVS (docs/protocol.md §4).
SEQ_BOOT_RESERVE = 4096
#: Slack, in seconds of the device's rate, on the frames a device may have made since it was last seen.
SEQ_SLACK_S = 10.0


class WrongDevice(FrameError):
    """A frame whose device_id is not the device the token belongs to."""


class Replayed(FrameError):
    """A (device, seq) already stored with different bytes: a counter went backwards or a replay."""


class SeqTooFar(FrameError):
    """A seq further ahead of the device's stored high-water mark than a reboot and the time since it was
    last seen explain (a frame carries at least one sample, so a device makes at most ``fs`` a second)."""


@dataclass(frozen=True)
class Rejection:
    """A frame refused on its own: where in its message, its seq when readable, the error and why."""

    index: int
    seq: int | None
    error: str
    detail: str

    @classmethod
    def of(cls, index: int, seq: int | None, exc: FrameError) -> Rejection:
        return cls(index, seq, type(exc).__name__, str(exc))


@dataclass(frozen=True)
class DecodedFrame:
    """A frame of a message: its place in the message, its wire bytes, and what they decode to."""

    index: int
    raw: bytes
    frame: Frame


@dataclass(frozen=True)
class StoredFrame:
    """A frame this process stored, with the server time (Unix µs) of its first sample."""

    frame: Frame
    t_us: int


@dataclass
class StoreResult:
    """What happened to the frames of one message."""

    device_id: int
    stored: list[int] = field(default_factory=list)
    duplicate: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    new: list[StoredFrame] = field(default_factory=list)  #: inserted by this call, in message order


def frames_cut(payload: bytes) -> tuple[list[bytes], FrameError | None]:
    """The frames of a message, plus the error that stopped the cut early (the rest cannot be delimited)."""
    if not payload:
        return [], TruncatedFrame("empty message: no frame")
    parts: list[bytes] = []
    try:
        parts.extend(frame_iter(payload))
    except FrameError as exc:
        return parts, exc
    return parts, None


def frames_decode(parts: list[bytes], *, device_id: int) -> tuple[list[DecodedFrame], list[Rejection]]:
    """Decode and validate each frame of a message sent with the token of ``device_id``."""
    decoded: list[DecodedFrame] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(parts):
        try:
            decoded.append(DecodedFrame(index, raw, _validate(frame_decode(raw), device_id)))
        except FrameError as exc:
            rejected.append(Rejection.of(index, _seq_of(raw), exc))
    return decoded, rejected


class FrameStore:
    """Adds new frames to the database, each placed in server time after the device's previous frame.

    It remembers each device's latest stored frame (its clock anchor), so a steady stream costs no
    extra read; the anchor is used only while the database's high-water mark still is its seq, so a
    frame another process stored, or a restart, sends it back to the database.
    """

    def __init__(self) -> None:
        self.anchors_: dict[int, ClockAnchor] = {}

    def store(self, *, session: Session, messages: list[tuple[int, list[DecodedFrame]]],
              now: float) -> list[StoreResult]:
        """Add every new frame of ``messages`` (``(device_id, frames)`` each) to ``session``; one result each.

        Frames already stored with the same bytes are duplicates (acknowledged again); with other bytes
        `Replayed`; too far ahead of the device's high-water mark `SeqTooFar`. The caller commits.
        """
        results = [StoreResult(device_id=device_id) for device_id, _ in messages]
        wanted: dict[int, set[int]] = {}
        for device_id, frames in messages:
            wanted.setdefault(device_id, set()).update(d.frame.seq for d in frames)
        marks = crud.device_marks(session=session, device_ids=list(wanted))
        known = crud.stored_frames(session=session, wanted=_at_or_below_mark(wanted, marks))
        anchors = self._anchors(session, marks)
        highest = {device_id: mark.last_seq for device_id, mark in marks.items()}
        fresh: dict[int, list[tuple[StoreResult, DecodedFrame]]] = {}
        for result, (device_id, frames) in zip(results, messages):
            for decoded in frames:
                seq = decoded.frame.seq
                stored = known.get((device_id, seq))
                if stored is not None:
                    _compare(result, decoded, stored)
                    continue
                try:
                    _check_seq(decoded.frame, marks.get(device_id), highest.get(device_id),
                               anchors.get(device_id), now=now)
                except SeqTooFar as exc:
                    result.rejected.append(Rejection.of(decoded.index, seq, exc))
                    continue
                known[(device_id, seq)] = decoded.raw
                highest[device_id] = seq if highest.get(device_id) is None else max(highest[device_id], seq)
                fresh.setdefault(device_id, []).append((result, decoded))
        rows, placed = [], {}
        for device_id, items in fresh.items():
            items.sort(key=lambda item: item[1].frame.seq)
            times = _place(session, device_id, [d.frame for _, d in items], anchors.get(device_id), now)
            for (_, decoded), t_us in zip(items, times):
                rows.append(crud.chunk_row(device_id=device_id, frame=decoded.frame, raw=decoded.raw, t_us=t_us,
                                           now=now))
                placed[(device_id, decoded.frame.seq)] = t_us
        inserted = crud.insert_chunks(session=session, rows=rows)
        lost = {pair for pair in placed if pair not in inserted}
        winners = crud.stored_frames(session=session, wanted=_by_device(lost)) if lost else {}
        seen: dict[int, list[Frame]] = {}
        for device_id, items in fresh.items():
            for result, decoded in sorted(items, key=lambda item: item[1].index):
                pair = (device_id, decoded.frame.seq)
                if pair in lost:  # another process stored this seq between our read and our insert
                    _compare(result, decoded, winners[pair])
                    continue
                result.stored.append(decoded.frame.seq)
                result.new.append(StoredFrame(decoded.frame, placed[pair]))
                seen.setdefault(device_id, []).append(decoded.frame)
        for device_id, frames in seen.items():
            last = max(frames, key=lambda f: f.seq)
            mark = marks.get(device_id)
            if mark is None or mark.last_seq is None or last.seq > mark.last_seq:
                self.anchors_[device_id] = ClockAnchor.of(last, placed[(device_id, last.seq)])
        crud.mark_devices_seen(session=session, now=now, seen={
            device_id: (max(f.seq for f in frames), frames[-1].sensor.name.lower())
            for device_id, frames in seen.items()})
        return results

    def _anchors(self, session: Session, marks: dict[int, crud.DeviceMark]) -> dict[int, ClockAnchor]:
        """Each device's latest stored frame, from memory while it is still the latest, else the database."""
        out = {device_id: self.anchors_[device_id] for device_id, mark in marks.items()
               if device_id in self.anchors_ and self.anchors_[device_id].seq == mark.last_seq}
        missing = [device_id for device_id, mark in marks.items() if device_id not in out and mark.last_seq is not None]
        for device_id, chunk in crud.latest_chunks(session=session, device_ids=missing).items():
            out[device_id] = self.anchors_[device_id] = _anchor(chunk)
        return out


def _compare(result: StoreResult, decoded: DecodedFrame, stored: bytes) -> None:
    if stored == decoded.raw:
        result.duplicate.append(decoded.frame.seq)
    else:
        exc = Replayed(f"device {result.device_id} seq {decoded.frame.seq} is stored with other bytes")
        result.rejected.append(Rejection.of(decoded.index, decoded.frame.seq, exc))


def _check_seq(frame: Frame, mark: crud.DeviceMark | None, highest: int | None, anchor: ClockAnchor | None, *,
               now: float) -> None:
    if highest is None:
        return  # the device's first frame: any seq starts it
    fs_hz = (frame.fs_millihz if anchor is None else anchor.fs_millihz) / 1000.0
    since_s = 0.0 if mark is None or mark.last_seen_at is None else max(0.0, now - mark.last_seen_at)
    limit = highest + SEQ_BOOT_RESERVE + math.ceil((since_s + SEQ_SLACK_S) * fs_hz)
    if frame.seq > limit:
        raise SeqTooFar(f"device {frame.device_id} seq {frame.seq}: more than {limit - highest} ahead of the "
                        f"highest stored seq {highest} ({since_s:.0f} s since the device was last seen)")


def _place(session: Session, device_id: int, frames: list[Frame], latest: ClockAnchor | None,
           now: float) -> list[int]:
    """Stored times of a device's new frames (ascending seq): those past the latest stored frame follow
    it; each late one (a resend into a gap) follows the stored frame just before it. The latest stored
    frame's own seq counts as late: another process stored it after this one looked, so the insert will
    skip it and compare the bytes that won."""
    now_us = int(now * 1e6)
    late = [f for f in frames if latest is not None and f.seq <= latest.seq]
    ahead = frames[len(late):]
    times: list[int] = []
    previous: ClockAnchor | None = None
    for frame in late:
        before = crud.chunk_before(session=session, device_id=device_id, seq=frame.seq)
        anchor = None if before is None else _anchor(before)
        if previous is not None and (anchor is None or previous.seq > anchor.seq):
            anchor = previous
        times += frames_place([frame], anchor=anchor, now_us=now_us)
        previous = ClockAnchor.of(frame, times[-1])
    return times + frames_place(ahead, anchor=latest, now_us=now_us)


def _anchor(chunk: crud.StoredChunk) -> ClockAnchor:
    return ClockAnchor.of(frame_decode(chunk.frame), chunk.t_us)


def _at_or_below_mark(wanted: dict[int, set[int]], marks: dict[int, crud.DeviceMark]) -> dict[int, set[int]]:
    """The seqs of ``wanted`` that may be stored already: those at or below their device's high-water mark.

    A frame is stored in the transaction that raises its device's ``last_seq`` to at least its seq (the
    PostgreSQL trigger relies on the same), so a steady stream of new frames costs no lookup; a frame
    another process stores after the marks were read is caught by `crud.insert_chunks` instead.
    """
    out: dict[int, set[int]] = {}
    for device_id, seqs in wanted.items():
        mark = marks.get(device_id)
        if mark is None:  # no device row to trust: look every seq up
            out[device_id] = seqs
        elif mark.last_seq is not None:
            out[device_id] = {seq for seq in seqs if seq <= mark.last_seq}
    return {device_id: seqs for device_id, seqs in out.items() if seqs}


def _by_device(pairs: set[tuple[int, int]]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for device_id, seq in pairs:
        out.setdefault(device_id, set()).add(seq)
    return out


def _validate(frame: Frame, device_id: int) -> Frame:
    if frame.device_id != device_id:
        raise WrongDevice(f"frame of device {frame.device_id} sent with the token of device {device_id}")
    if frame.t_us > _MAX_STORABLE_T_US:
        raise BadField(f"device {device_id} seq {frame.seq}: t_us {frame.t_us} beyond 2**63-1")
    try:
        check_fs(frame.fs)
    except SignalError as exc:
        raise BadField(f"device {device_id} seq {frame.seq}: {exc}") from exc
    return frame


def _seq_of(raw: bytes) -> int | None:
    """The seq of a frame that failed to decode, when its header can be read."""
    try:
        return frame_seq(raw)
    except FrameError:
        return None
