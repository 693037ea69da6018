"""What the tracer's reader hands out: a task's record (numbers and code objects; text is
made when asked), a task as a view shows it, and the tracer's counters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A row of the task ring: numbers and code objects; text is made when asked."""

    serial: int
    created_ns: int  # 0: created before tracing began
    coro_code: Any  # the coroutine's code object (or its type)
    site_code: Any  # code object that created the task
    site_lasti: int  # byte offset of the creating instruction in it
    name: str  # kept when it ends ("" while it runs)
    outcome: int
    ended_ns: int
    parent: int = 0  # the serial of the task whose step made it (0: none, or before tracing began)

    @property
    def coro(self) -> str:
        return coro_name(self.coro_code)

    @property
    def site_line(self) -> int:
        return _line(self.site_code, self.site_lasti) if self.site_code else 0

    @property
    def site(self) -> str:
        """file:line where the task was created; "" when that was before tracing began."""
        return f"{self.site_code.co_filename}:{self.site_line}" if self.site_code else ""


@dataclass(frozen=True)
class TaskInfo:
    """What a view shows of a task."""

    serial: int
    name: str
    coro: str
    site: str
    state: str
    created_ns: int
    ended_ns: int
    stack: tuple[str, ...] = ()
    alive: bool = False


@dataclass(frozen=True)
class Statistics:
    capacity: int
    recorded: int  # callbacks scheduled since attach
    dropped: int  # rows lost to the ring before a reader took them
    tasks: int
    lag_samples: int


def coro_name(code: Any) -> str:
    """A task's coroutine, by its code object (or its type)."""
    return str(getattr(code, "co_qualname", None) or getattr(code, "__name__", "?"))


def step_name(serial: int, coro: Any) -> str:
    """A task's step's name, by its coroutine's code (None: the task has no record)."""
    return f"step {coro_name(coro)}" if coro is not None else f"step task {serial}"


def _line(code: Any, lasti: int) -> int:
    """The source line of the instruction at byte offset ``lasti`` of ``code``."""
    first: int = code.co_firstlineno
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return int(line or first)
    return first
