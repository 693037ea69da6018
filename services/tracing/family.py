"""Who made whom, and who waits for whom — worked out when a page asks, from what the
tracer keeps anyway, so the hot path pays nothing for it:

- a task's **parent** is the task whose step was running on the loop when it was made
  (its creation time falls inside that step's row); a task made from a plain callback or
  before tracing began has none;
- what a live task **awaits**: the task it is waiting on (``await other``), or each child
  of the ``gather`` it is waiting on (asyncio's ``_fut_waiter`` and ``_children``).
"""

from __future__ import annotations

import asyncio
import bisect
from typing import Any

from services.tracing.columns import Callback
from services.tracing.tracer import LoopTracer

MAX_TASKS = 2000  # the newest tasks a tree shows


def parents(tracer: LoopTracer, rows: list[Callback], serials: list[int]) -> dict[int, int]:
    """serial → the serial of the task that made it (tasks with none are left out)."""
    steps = sorted((c for c in rows if c.end_ns), key=lambda c: c.start_ns)
    starts = [c.start_ns for c in steps]
    found = {}
    for serial in serials:
        record = tracer.task_record(serial)
        if record is None or not record.created_ns:
            continue
        i = bisect.bisect_right(starts, record.created_ns) - 1
        if i >= 0 and steps[i].end_ns >= record.created_ns and steps[i].task and steps[i].task != serial:
            found[serial] = steps[i].task
    return found


def awaited(task: asyncio.Task[Any], serial_of: dict[int, int]) -> list[int]:
    """The tasks ``task`` is waiting on now (serials)."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return []
    children = getattr(waiter, "_children", None)  # a gather's own future
    waited = children if children is not None else [waiter]
    return [serial_of[id(w)] for w in waited if id(w) in serial_of]


def task_tree(tracer: LoopTracer, rows: list[Callback]) -> dict[str, Any]:
    """The newest ``MAX_TASKS`` tasks: name, coroutine, state, parent, what each awaits."""
    records = list(tracer.tasks())[-MAX_TASKS:]
    serials = [r.serial for r in records]
    live = {s: t for s in serials if (t := tracer.live_task(s)) is not None}
    serial_of = {id(t): s for s, t in live.items()}
    made_by = parents(tracer, rows, serials)
    tasks = []
    for record in records:
        task = live.get(record.serial)
        tasks.append(
            {
                "serial": record.serial,
                "name": task.get_name() if task is not None else record.name or f"task {record.serial}",
                "coro": record.coro,
                "alive": task is not None and not task.done(),
                "parent": made_by.get(record.serial, 0),
                "awaits": awaited(task, serial_of) if task is not None else [],
            }
        )
    return {"tasks": tasks, "shown": len(tasks)}
