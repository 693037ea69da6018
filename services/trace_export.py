"""A traced window as Chrome Trace Event JSON, the format Perfetto and chrome://tracing open.

One process per OS process (the loop's, and each pool worker's); in the loop's process one
track per task plus one for plain callbacks and one for the pool's parent side; in each
worker one track. Complete events (``ph: X``) carry ``ts`` and ``dur`` in microseconds
from the window's start; flow events (``ph: s`` / ``f``) draw the done-callback links and
each pool job's submit → worker → done-callback path.
"""

from __future__ import annotations

from typing import Any

from services.tracer import DONE_CALLBACK, KIND_NAMES, Callback, Job, LoopTracer

PLAIN_TRACK = 0  # the loop's plain callbacks
POOL_TRACK = -1  # the pool's parent side: submits and done-callbacks


def _us(ns: int, origin: int) -> float:
    return round((ns - origin) / 1000, 3)


def chrome_trace(tracer: LoopTracer, start_ns: int, end_ns: int, jobs: list[Job] | None = None,
                 callbacks: list[Callback] | None = None) -> dict[str, Any]:
    """Everything that ran in [start_ns, end_ns] as a trace-event document."""
    pid = tracer.pid
    rows = callbacks if callbacks is not None else tracer.callbacks(include_pending=False)
    rows = [c for c in rows if c.end_ns >= start_ns and c.start_ns <= end_ns]
    by_seq = {c.seq: c for c in rows}
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": pid, "tid": PLAIN_TRACK, "args": {"name": f"looplens loop (pid {pid})"}},
        {"ph": "M", "name": "thread_name", "pid": pid, "tid": PLAIN_TRACK, "args": {"name": "plain callbacks"}},
    ]
    tracks: set[int] = set()
    for c in rows:
        tid = c.task or PLAIN_TRACK
        if c.task and c.task not in tracks:
            tracks.add(c.task)
            info = tracer.task_info(c.task)
            label = f"{info.name} · {info.coro}" if info else f"task {c.task}"
            events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": label}})
        events.append({"ph": "X", "name": tracer.name_of(c), "cat": KIND_NAMES[c.kind], "pid": pid, "tid": tid,
                       "ts": _us(c.start_ns, start_ns), "dur": _us(c.end_ns, c.start_ns),
                       "args": {"seq": c.seq, "scheduled": KIND_NAMES[c.kind],
                                "late_ms": round(c.late_ns / 1e6, 3)}})
        parent = by_seq.get(c.parent)
        if c.kind == DONE_CALLBACK and parent is not None:
            flow = {"name": "done callback", "cat": "link", "id": c.seq}
            events.append({**flow, "ph": "s", "pid": pid, "tid": parent.task or PLAIN_TRACK,
                           "ts": _us(parent.start_ns, start_ns)})
            events.append({**flow, "ph": "f", "bp": "e", "pid": pid, "tid": tid, "ts": _us(c.start_ns, start_ns)})
    workers: set[int] = set()
    jobs = [j for j in (jobs or []) if j.start_ns and j.end_ns >= start_ns and j.submitted_ns <= end_ns]
    if jobs:
        events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": POOL_TRACK,
                       "args": {"name": "process pool (parent)"}})
    for j in jobs:
        if j.pid not in workers:
            workers.add(j.pid)
            events.append({"ph": "M", "name": "process_name", "pid": j.pid, "tid": j.pid,
                           "args": {"name": f"pool worker (pid {j.pid})"}})
            events.append({"ph": "M", "name": "thread_name", "pid": j.pid, "tid": j.pid, "args": {"name": "jobs"}})
        job_id = 1_000_000_000 + j.job
        events.append({"ph": "i", "s": "t", "name": f"submit {j.name}", "pid": pid, "tid": POOL_TRACK,
                       "ts": _us(j.submitted_ns, start_ns)})
        events.append({"ph": "X", "name": j.name, "cat": "job", "pid": j.pid, "tid": j.pid,
                       "ts": _us(j.start_ns, start_ns), "dur": _us(j.end_ns, j.start_ns), "args": {"job": j.job}})
        events.append({"ph": "s", "name": "job", "cat": "job", "id": job_id, "pid": pid, "tid": POOL_TRACK,
                       "ts": _us(j.submitted_ns, start_ns)})
        events.append({"ph": "t", "name": "job", "cat": "job", "id": job_id, "pid": j.pid, "tid": j.pid,
                       "ts": _us(j.start_ns, start_ns)})
        if j.done_ns:
            events.append({"ph": "X", "name": f"done {j.name}", "cat": "done callback", "pid": pid,
                           "tid": POOL_TRACK, "ts": _us(j.done_start_ns, start_ns),
                           "dur": _us(j.done_ns, j.done_start_ns)})
            events.append({"ph": "f", "bp": "e", "name": "job", "cat": "job", "id": job_id, "pid": pid,
                           "tid": POOL_TRACK, "ts": _us(j.done_start_ns, start_ns)})
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"dropped": tracer.statistics().dropped, "start_ns": start_ns, "end_ns": end_ns}}
