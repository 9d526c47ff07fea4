"""The streaming-stage contract every stateful analysis stage follows.

A stage turns a stream of input (samples, or beat times for the rhythm tracker) into results, in chunks
of any size. Its life cycle is the same everywhere::

    stage = QrsDetector(fs=rec.fs)        # stores its arguments; OPEN, no input seen yet
    out = [stage.process(c) for c in chunks]   # any chunk length, 0 included
    out.append(stage.flush())             # end of input: emit what the look-ahead holds; now CLOSED
    stage.process(more)                   # RuntimeError: a closed stage takes no input
    stage.reset()                         # OPEN again, as new: the next record, or after a gap

Feeding an input whole or split anywhere gives the same results (events exactly, floats to rounding);
``tests/test_streaming_contract.py`` checks this for every stage. ``delay_s`` is the longest a result can
come after the sample it is about, so a caller knows how long to wait before an output is final.
"""

from __future__ import annotations

import enum
from typing import Any, Protocol, runtime_checkable

__all__ = ["Stage", "StageState", "StreamingStage"]


class StageState(enum.Enum):
    """Where a stage is in its life cycle."""

    OPEN = "open"  #: takes input
    CLOSED = "closed"  #: flushed; takes nothing until `reset`


@runtime_checkable
class Stage(Protocol):
    """What the pipeline, the server and the contract tests rely on."""

    @property
    def delay_s(self) -> float: ...

    @property
    def state(self) -> StageState: ...

    def reset(self) -> None: ...

    def process(self, chunk: Any, /) -> Any: ...

    def flush(self) -> Any: ...


class StreamingStage:
    """Life-cycle bookkeeping shared by the stages: `reset` opens, `flush` closes, misuse raises.

    A subclass calls ``self._open()`` at the end of its ``reset``, ``self._check_open("process")`` first
    thing in ``process`` and ``self._close()`` at the end of ``flush``.
    """

    state_: StageState

    @property
    def state(self) -> StageState:
        return getattr(self, "state_", StageState.OPEN)

    def _open(self) -> None:
        self.state_ = StageState.OPEN

    def _check_open(self, call: str) -> None:
        if self.state is StageState.CLOSED:
            raise RuntimeError(
                f"{type(self).__name__}.{call}() after flush(): expected an OPEN stage, got CLOSED; "
                "call reset() to start a new input"
            )

    def _close(self) -> None:
        self.state_ = StageState.CLOSED
