"""A traced window as Chrome Trace Event JSON, the format Perfetto and chrome://tracing open.

One process per OS process (the loop's, and each pool worker's); in the loop's process one
track per task plus one for plain callbacks and one for the pool's parent side; in each
worker one track. Complete events (``ph: X``) carry ``ts`` and ``dur`` in microseconds
from the window's start; flow events (``ph: s`` / ``f``) draw the done-callback links and
each pool job's submit → worker → done-callback path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.tracing.columns import DONE_CALLBACK, KIND_NAMES, Callback
from services.tracing.pool import Job
from services.tracing.tracer import LoopTracer

PLAIN_TRACK = 0  # the loop's plain callbacks
POOL_TRACK = -1  # the pool's parent side: submits and done-callbacks


def _us(ns: int, origin: int) -> float:
    return round((ns - origin) / 1000, 3)


def _name(kind: str, pid: int, tid: int, name: str) -> dict[str, Any]:
    """A metadata event: the name of a process (``process_name``) or a track (``thread_name``)."""
    return {"ph": "M", "name": kind, "pid": pid, "tid": tid, "args": {"name": name}}


def _span(name: str, cat: str, pid: int, tid: int, ts: float, dur: float, **args: Any) -> dict[str, Any]:
    event = {"ph": "X", "name": name, "cat": cat, "pid": pid, "tid": tid, "ts": ts, "dur": dur}
    return {**event, "args": args} if args else event


def _flow(ph: str, name: str, flow_id: int, pid: int, tid: int, ts: float) -> dict[str, Any]:
    """One end (``s``), step (``t``) or end (``f``, bound to its enclosing slice) of an arrow."""
    event = {"ph": ph, "name": name, "cat": "link" if name == "done callback" else "job", "id": flow_id}
    return {**event, **({"bp": "e"} if ph == "f" else {}), "pid": pid, "tid": tid, "ts": ts}


def _loop_events(
    pid: int, rows: list[Callback], origin: int, name_of: Callable[[Callback], str], track_of: Callable[[int], str]
) -> list[dict[str, Any]]:
    """A track per task (named by ``track_of``) plus one for plain callbacks; an arrow per
    done-callback link."""
    events = [
        _name("process_name", pid, PLAIN_TRACK, f"looplens loop (pid {pid})"),
        _name("thread_name", pid, PLAIN_TRACK, "plain callbacks"),
    ]
    by_seq = {c.seq: c for c in rows}
    tracks: set[int] = set()
    for c in rows:
        tid = c.task or PLAIN_TRACK
        if c.task and c.task not in tracks:
            tracks.add(c.task)
            events.append(_name("thread_name", pid, tid, track_of(c.task)))
        kind = KIND_NAMES[c.kind]
        events.append(
            _span(
                name_of(c),
                kind,
                pid,
                tid,
                _us(c.start_ns, origin),
                _us(c.end_ns, c.start_ns),
                seq=c.seq,
                scheduled=kind,
                late_ms=round(c.late_ns / 1e6, 3),
            )
        )
        parent = by_seq.get(c.parent)
        if c.kind == DONE_CALLBACK and parent is not None:
            events.append(
                _flow("s", "done callback", c.seq, pid, parent.task or PLAIN_TRACK, _us(parent.start_ns, origin))
            )
            events.append(_flow("f", "done callback", c.seq, pid, tid, _us(c.start_ns, origin)))
    return events


def _job_events(pid: int, jobs: list[Job], origin: int) -> list[dict[str, Any]]:
    """The pool's parent track (submits, done-callbacks), a process per worker, and an arrow
    per job from its submit through the worker to its done-callback."""
    events = [_name("thread_name", pid, POOL_TRACK, "process pool (parent)")] if jobs else []
    workers: set[int] = set()
    for j in jobs:
        if j.pid not in workers:
            workers.add(j.pid)
            events += [
                _name("process_name", j.pid, j.pid, f"pool worker (pid {j.pid})"),
                _name("thread_name", j.pid, j.pid, "jobs"),
            ]
        flow_id, submitted, started = 1_000_000_000 + j.job, _us(j.submitted_ns, origin), _us(j.start_ns, origin)
        events += [
            {"ph": "i", "s": "t", "name": f"submit {j.name}", "pid": pid, "tid": POOL_TRACK, "ts": submitted},
            _span(j.name, "job", j.pid, j.pid, started, _us(j.end_ns, j.start_ns), job=j.job),
            _flow("s", "job", flow_id, pid, POOL_TRACK, submitted),
            _flow("t", "job", flow_id, j.pid, j.pid, started),
        ]
        if j.done_ns:
            done = _us(j.done_start_ns, origin)
            events += [
                _span(f"done {j.name}", "done callback", pid, POOL_TRACK, done, _us(j.done_ns, j.done_start_ns)),
                _flow("f", "job", flow_id, pid, POOL_TRACK, done),
            ]
    return events


def chrome_trace(
    tracer: LoopTracer,
    start_ns: int,
    end_ns: int,
    jobs: list[Job] | None = None,
    callbacks: list[Callback] | None = None,
) -> dict[str, Any]:
    """Everything that ran in [start_ns, end_ns] as a trace-event document."""
    rows = callbacks if callbacks is not None else tracer.callbacks(include_pending=False)
    rows = [c for c in rows if c.end_ns >= start_ns and c.start_ns <= end_ns]
    jobs = [j for j in (jobs or []) if j.start_ns and j.end_ns >= start_ns and j.submitted_ns <= end_ns]

    def track_of(serial: int) -> str:
        info = tracer.task_info(serial)
        return f"{info.name} · {info.coro}" if info else f"task {serial}"

    return {
        "traceEvents": _loop_events(tracer.pid, rows, start_ns, tracer.name_of, track_of)
        + _job_events(tracer.pid, jobs, start_ns),
        "displayTimeUnit": "ms",
        "otherData": {"dropped": tracer.statistics().dropped, "start_ns": start_ns, "end_ns": end_ns},
    }


def rows_trace(
    pid: int,
    rows: list[Callback],
    name_of: Callable[[Callback], str],
    track_of: Callable[[int], str],
    jobs: list[Job] | None = None,
) -> dict[str, Any]:
    """Callbacks known only as rows (a recording's) as a trace-event document, with the pool
    ``jobs`` of their time; their names come from ``name_of`` and their tasks' tracks from
    ``track_of``."""
    start_ns = min((c.start_ns for c in rows), default=0)
    end_ns = max((c.end_ns for c in rows), default=0)
    jobs = [j for j in jobs or () if j.start_ns and j.submitted_ns >= start_ns]
    return {
        "traceEvents": _loop_events(pid, rows, start_ns, name_of, track_of) + _job_events(pid, jobs, start_ns),
        "displayTimeUnit": "ms",
        "otherData": {"start_ns": start_ns, "end_ns": end_ns},
    }
