"""Who made whom, and who waits for whom — worked out when a page asks, from what the
tracer keeps anyway:

- a task's **parent** is the task whose step was running on the loop when it was made: the
  tracer keeps its serial in the task's record, so it is known as long as the record is,
  long after the callback ring has wrapped; a task made from a plain callback or before
  tracing began has none;
- what a live task **awaits**: the task it is waiting on (``await other``), or each child
  of the ``gather`` it is waiting on (asyncio's ``_fut_waiter`` and ``_children``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.tracing.tracer import LoopTracer

MAX_TASKS = 2000  # the newest tasks a tree shows


def awaited(task: asyncio.Task[Any], serial_of: dict[int, int]) -> list[int]:
    """The tasks ``task`` is waiting on now (serials)."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return []
    children = getattr(waiter, "_children", None)  # a gather's own future
    waited = children if children is not None else [waiter]
    return [serial_of[id(w)] for w in waited if id(w) in serial_of]


def task_tree(tracer: LoopTracer) -> dict[str, Any]:
    """The newest ``MAX_TASKS`` tasks: name, coroutine, state, parent, what each awaits."""
    records = list(tracer.tasks())[-MAX_TASKS:]
    serials = [r.serial for r in records]
    live = {s: t for s in serials if (t := tracer.live_task(s)) is not None}
    serial_of = {id(t): s for s, t in live.items()}
    tasks = []
    for record in records:
        task = live.get(record.serial)
        tasks.append(
            {
                "serial": record.serial,
                "name": task.get_name() if task is not None else record.name or f"task {record.serial}",
                "coro": record.coro,
                "alive": task is not None and not task.done(),
                "parent": record.parent,
                "awaits": awaited(task, serial_of) if task is not None else [],
            }
        )
    return {"tasks": tasks, "shown": len(tasks)}
