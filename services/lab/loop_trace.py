"""A traced asyncio run's loop, written as Chrome Trace Event JSON for Perfetto and
summed up for the page. The newest ``LOOP_TRACES_KEPT`` files in the folder are kept,
and a half-written one that a dead process left is removed by the next write."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from services.tracing.export import chrome_trace
from services.tracing.pool import Job
from services.tracing.tracer import LoopTracer

LOOP_TRACES_KEPT = 5
LOOP_TRACE_GLOB = "asyncio-loop-*.json"  # what loop_trace_name makes, and is_loop_trace_name accepts
# A loop trace is written to a .partial file, then renamed. One older than this was left by a
# process that died while writing (the largest run writes in well under a second).
PARTIAL_STALE_S = 600.0
_LOOP_TRACE_NAME = re.compile(r"asyncio-loop-[0-9-]+\.json")


def loop_trace_name() -> str:
    """A new loop trace's file name: when, and which process wrote it."""
    return f"asyncio-loop-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.json"


def is_loop_trace_name(name: str) -> bool:
    """Whether ``name`` is one ``loop_trace_name`` makes (no folder, nothing else)."""
    return _LOOP_TRACE_NAME.fullmatch(name) is not None


def write_loop_trace(tracer: LoopTracer, path: Path, jobs: list[Job]) -> dict[str, Any]:
    """The traced loop and its pool jobs as Chrome Trace Event JSON at ``path`` (older
    ones beyond ``LOOP_TRACES_KEPT`` removed), and its summary."""
    rows = [c for c in tracer.callbacks() if c.end_ns]  # not the step that detached it
    start = min((c.start_ns for c in rows), default=0)
    end = max((c.end_ns for c in rows), default=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    try:
        partial.write_text(
            json.dumps(chrome_trace(tracer, start, end, jobs=jobs, callbacks=rows), separators=(",", ":"))
        )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # a failed write (a full disk) leaves nothing half-written
    _prune(path.parent)
    stats = tracer.statistics()
    return {
        "file": path.name,
        "callbacks": len(rows),
        "tasks": stats.tasks,
        "dropped": stats.dropped,
        "jobs": len(jobs),
        "workers": len({j.pid for j in jobs if j.pid}),
        "longest_ms": max((c.duration_ns for c in rows), default=0) / 1e6,
        "latest_ms": max((c.late_ns for c in rows), default=0) / 1e6,
        "lag_ms": max((lag for _, lag in tracer.lag()), default=0) / 1e6,
    }


def _prune(folder: Path) -> None:
    """Keep the newest ``LOOP_TRACES_KEPT`` loop traces, and drop what a dead writer left."""
    for old in sorted(folder.glob(LOOP_TRACE_GLOB), key=_mtime)[:-LOOP_TRACES_KEPT]:
        old.unlink(missing_ok=True)
    stale = time.time() - PARTIAL_STALE_S
    for left in folder.glob(LOOP_TRACE_GLOB.replace(".json", ".partial")):
        if _mtime(left) < stale:
            left.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # another worker pruned it first
        return float("inf")
