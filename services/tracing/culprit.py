"""Where a long callback is stuck: while the loop runs one callback past ``STUCK_NS``, the
agent's thread takes the loop thread's stack (``sys._current_frames``), so a block is
reported with the line it was blocked on, not only how long it took.

It reads one number (the tracer's running seq) only when a look can find something: a
callback first seen now cannot be stuck before ``STUCK_NS`` from now, so that is the next
look (every 20 ms on a busy, healthy loop; each look takes the GIL from the loop's thread).
It takes a stack only when the same callback is still running past the threshold: once
when it crosses it, and again each ``RESAMPLE_NS`` while it lasts (a block that moves, e.g.
a slow loop over calls, shows where it spent most of its samples). Each sample also notes
whether the loop thread was running (or waiting for a CPU) or asleep in the kernel
(``/proc``, Linux): mostly running is CPU work on the loop, mostly asleep a call that waits
(``time.sleep``, blocking I/O), whatever else the machine is doing. Kept for the newest
``KEPT`` callbacks; those pushed out are counted.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
import time
from collections import Counter, OrderedDict
from types import FrameType
from typing import Any

from services.tracing.columns import RUNNING_SEQ
from services.tracing.tracer import LoopTracer

STUCK_NS = 20_000_000  # a callback running this long is sampled
RESAMPLE_NS = 50_000_000
KEPT = 200
DEPTH = 30  # frames kept per stack, innermost last
# Where the interpreter's own library lives: a frame there is not the program's line.
_LIBRARY = tuple(
    {os.path.normpath(p) + os.sep for p in (sysconfig.get_path("stdlib"), sysconfig.get_path("purelib")) if p}
)


def _stack(frame: FrameType | None) -> list[list[Any]]:
    frames: list[list[Any]] = []
    while frame is not None and len(frames) < DEPTH:
        code = frame.f_code
        frames.append([code.co_filename, frame.f_lineno, code.co_name])
        frame = frame.f_back
    return frames[::-1]


def where(stack: list[list[Any]]) -> list[Any] | None:
    """The innermost frame of the program's own code (not the standard library's or a
    library's), else the innermost frame."""
    own = [entry for entry in stack if not os.path.normpath(str(entry[0])).startswith(_LIBRARY)]
    found = own or stack
    return found[-1] if found else None


class Culprits:
    """Samples one traced loop's thread; ``sample()`` is called from another thread."""

    def __init__(self, tracer: LoopTracer) -> None:
        self.tracer = tracer
        self.kept: OrderedDict[int, dict[str, Any]] = OrderedDict()  # seq → what it was doing
        self.dropped = 0
        self.thread: int | None = None  # the loop's thread, where the loop does not say (uvloop)
        self._seq = -1
        self._since = 0
        self._last = 0

    def sample(self) -> int:
        """Look once (a stack if the same callback is still running past the threshold); the
        nanoseconds until a look can find something new."""
        seq = int(self.tracer._box[RUNNING_SEQ])  # noqa: SLF001 - the number both hot paths write
        now = time.perf_counter_ns()
        if seq != self._seq or seq < 0:  # another callback (or none) since the last look
            self._seq, self._since, self._last = seq, now, 0
            return STUCK_NS
        if now - self._since < STUCK_NS:
            return self._since + STUCK_NS - now
        if self._last and now - self._last < RESAMPLE_NS:
            return self._last + RESAMPLE_NS - now
        thread = getattr(self.tracer.loop, "_thread_id", None) or self.thread  # asyncio's: set while it runs
        frame = sys._current_frames().get(thread) if thread is not None else None
        if thread is None or frame is None:
            return STUCK_NS
        self._last = now
        stack = _stack(frame)
        found = self.kept.get(seq)
        if found is None:
            found = self.kept[seq] = {"stack": stack, "samples": Counter(), "running": 0, "asleep": 0}
            if len(self.kept) > KEPT:
                self.kept.popitem(last=False)
                self.dropped += 1
        state = _state(thread)
        if state is not None:
            found["running" if state == "R" else "asleep"] += 1
        top = where(stack)
        if top is not None:
            found["samples"][tuple(top)] += 1
        return RESAMPLE_NS

    def of(self, seq: int) -> dict[str, Any] | None:
        """Where callback ``seq`` was stuck: the line most samples saw, the first stack."""
        found = self.kept.get(seq)
        if found is None or not found["samples"]:
            return None
        (line, samples), total = found["samples"].most_common(1)[0], sum(found["samples"].values())
        known = found["running"] + found["asleep"]
        cpu = round(found["running"] / known, 2) if known else None  # the share of samples on a CPU
        return {"where": list(line), "samples": samples, "of": total, "stack": found["stack"], "cpu": cpu}


def _state(ident: int) -> str | None:
    """The kernel's state letter for the thread ``ident`` (R: running or runnable; S, D:
    asleep), or None where the system cannot say."""
    native = next((t.native_id for t in threading.enumerate() if t.ident == ident), None)
    try:
        with open(f"/proc/self/task/{native}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None
