"""Server time (Unix µs) of each stored frame's first sample, from the device's own clock.

A frame flagged ``CLOCK_SYNCED`` carries Unix time already and is stored at it, unless it claims a time
after its own arrival (then its clock is not trusted and it is placed like an unsynchronised frame).
Other frames carry time since boot. Their offset to server time is taken from the device's stored frame
just before them (the *anchor*, read from the database, so a restarted or second server process continues
the same time line), as long as the device clock runs on from it: true spacing between frames, whatever gap or
crash lay between their arrivals. A device clock that restarted (a reboot), or a device seen for the
first time, is placed by arrival: a frame's last sample was taken before it arrived, and transmission
delay only adds to that, so the offset is the smallest ``arrival - end of frame`` over the frames that came
together; a burst of buffered frames keeps its spacing and none lies in the future.

Stored times never go backwards along the sequence numbers: a frame never starts before the end of the
frame stored before it. So the time a stream was first placed at is kept: if its first frames came with a
longer delay than later ones, the whole stream stays that much late rather than stepping back (at most
the first delay, never early; `tests/server/test_clock.py` checks both for any batching and delays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cardiowatch.protocol import Frame, FrameFlags, max_samples

#: A synchronised device clock may run this far ahead of ours (NTP error, arrival within a frame).
CLOCK_SKEW_TOLERANCE_US = 2_000_000
#: Slack on how far the device clock may move per sequence number before it counts as a restart.
CLOCK_STEP_SLACK_US = 1_000_000


@dataclass(frozen=True)
class ClockAnchor:
    """A device's latest stored frame: its sequence number, its own time, and the time it was stored at."""

    seq: int
    device_t_us: int
    t_us: int
    end_t_us: int  #: stored time just past its last sample
    synced: bool  #: stored at its own (trusted Unix) time
    fs_millihz: int  #: the device's sampling rate in that frame

    @classmethod
    def of(cls, frame: Frame, t_us: int) -> ClockAnchor:
        return cls(seq=frame.seq, device_t_us=frame.t_us, t_us=t_us, end_t_us=t_us + frame_duration_us(frame),
                   synced=t_us == frame.t_us and bool(frame.flags & FrameFlags.CLOCK_SYNCED),
                   fs_millihz=frame.fs_millihz)


def frame_duration_us(frame: Frame) -> int:
    """Time its samples span, µs (the rate comes from the frame)."""
    return round(frame.n_samples * 1e9 / frame.fs_millihz)


def frames_place(frames: Sequence[Frame], *, anchor: ClockAnchor | None, now_us: int) -> list[int]:
    """Stored times of one device's frames that arrived together, all after ``anchor`` (the stored frame
    just before them, None for none), given in ascending ``seq``."""
    if anchor is not None and frames and frames[0].seq <= anchor.seq:
        raise ValueError(f"frames_place: expected frames after the anchor's seq {anchor.seq}, got seq "
                         f"{frames[0].seq}")
    # Cut the frames into runs of one unbroken device clock (a restart, or a synced/unsynced change,
    # starts a new run); each run gets one offset.
    runs: list[list[Frame]] = []
    for frame in frames:
        synced = _trusted_sync(frame, now_us)
        last = runs[-1][-1] if runs else None
        if last is not None and _trusted_sync(last, now_us) == synced and _runs_on(
                from_seq=last.seq, from_t_us=last.t_us, to_seq=frame.seq, to_t_us=frame.t_us, like=frame):
            runs[-1].append(frame)
        else:
            runs.append([frame])
    out: list[int] = []
    end_us = None if anchor is None else anchor.end_t_us
    for i, run in enumerate(runs):
        if _trusted_sync(run[0], now_us):
            offset = 0
        else:
            offset = min(now_us - frame_duration_us(f) - f.t_us for f in run)
            if (i == 0 and anchor is not None and not anchor.synced
                    and _runs_on(from_seq=anchor.seq, from_t_us=anchor.device_t_us, to_seq=run[0].seq,
                                 to_t_us=run[0].t_us, like=run[0])):
                offset = min(offset, anchor.t_us - anchor.device_t_us)
        for frame in run:
            t_us = frame.t_us + offset
            if end_us is not None:
                t_us = max(t_us, end_us)
            out.append(t_us)
            end_us = t_us + frame_duration_us(frame)
    return out


def _trusted_sync(frame: Frame, now_us: int) -> bool:
    return bool(frame.flags & FrameFlags.CLOCK_SYNCED) and frame.t_us <= now_us + CLOCK_SKEW_TOLERANCE_US


def _runs_on(*, from_seq: int, from_t_us: int, to_seq: int, to_t_us: int, like: Frame) -> bool:
    """The device clock plausibly ran on from one frame to a later one: it moved forward, by no more
    than the frames in between, at ``like``'s rate and largest size, could span."""
    longest_us = round(max_samples(like.sensor, like.encoding) * 1e9 / like.fs_millihz)
    return 0 < to_t_us - from_t_us <= (to_seq - from_seq) * longest_us + CLOCK_STEP_SLACK_US
