"""What the traced program's own code is, for an agent: a task whose coroutine, or a plain
callback whose function, lives in one of the program's files, not in the interpreter's
library, an installed package, looplens's own sources or a frozen module. The rest is
loop and library machinery, which the Trace page hides on request. (The hub's own test,
for the app's loops, is the reverse: looplens's sources are the app.)"""

from __future__ import annotations

import functools
import os
from typing import Any

from services.tracing.columns import Callback
from services.tracing.culprit import _LIBRARY, Culprits
from services.tracing.hub import _APP_SOURCES
from services.tracing.tracer import LoopTracer


@functools.lru_cache(maxsize=4096)  # asked for each task an answer names (a thousand a second under load)
def program_file(path: str) -> bool:
    normal = os.path.normpath(path) if path else ""
    return bool(normal) and not normal.startswith(("<", *_LIBRARY)) and not path.startswith(_APP_SOURCES)


def machinery(tracer: LoopTracer, c: Callback) -> bool:
    """Whether ``c`` is not the program's own code (the agent's hub asks, and keeps the answer):
    a task's step by its coroutine and whether the task's name starts with "looplens:" only,
    so the hub asks once per coroutine (``coroutine_machinery``)."""
    if not c.task:
        return not program_file(getattr(tracer.code_of(c), "co_filename", ""))
    coro = tracer.coro_code(c.task)  # asked for each task an answer names: no TaskRecord made
    if coro is None or tracer.task_name(c.task).startswith("looplens:"):
        return True
    return not program_file(getattr(coro, "co_filename", ""))


def last_stuck(culprits: Culprits, rows: list[Callback], serial: int) -> dict[str, Any] | None:
    """Where task ``serial``'s newest long step was stuck (``culprit``), with how long it
    ran; None if none of its steps was sampled."""
    for c in reversed(rows):
        if c.task == serial and c.seq in culprits.kept and (culprit := culprits.of(c.seq)) is not None:
            return {**culprit, "ms": round(c.duration_ns / 1e6, 1)}
    return None
