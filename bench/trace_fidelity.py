"""Does the tracer see every task step, at the right time? A scripted scenario runs once
under looplens' LoopTracer and VizTracer together; VizTracer records each resumption of a
coroutine as one call of its function, on the same clock (CLOCK_MONOTONIC, µs). For each
scripted task, its steps in the tracer are paired in order with VizTracer's calls of its
coroutine. Prints matches, misses (steps only one side saw) and the largest timestamp
difference at the start and at the end of a step. Target: 0 misses, ≤ 1 ms.
Usage: python bench/trace_fidelity.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from viztracer import VizTracer  # noqa: E402

from services.tracing.tracer import LoopTracer  # noqa: E402

STATIONS = ["beijing", "shanghai", "lhasa", "harbin", "urumqi"]


async def poll(station: str, rounds: int) -> None:
    """A station's poll loop: wait for the reading, parse it (a little CPU), sleep."""
    for n in range(rounds):
        await asyncio.sleep(0.002 * (1 + STATIONS.index(station)))
        sum(i * i for i in range(2000 + 500 * n))
        await asyncio.sleep(0)


async def blocked() -> None:
    await asyncio.sleep(0.01)
    time.sleep(0.02)  # a blocking call: one long step
    await asyncio.sleep(0.005)


async def scenario() -> None:
    async with asyncio.TaskGroup() as group:
        for station in STATIONS:
            group.create_task(poll(station, 20), name=f"poll {station}")
        group.create_task(blocked(), name="blocked")


def main() -> None:
    out = Path(tempfile.mkdtemp()) / "viz.json"
    loop = asyncio.new_event_loop()
    try:
        with (
            LoopTracer(loop, lag_interval_s=0) as tracer,
            VizTracer(output_file=str(out), verbose=0, tracer_entries=1_000_000),
        ):
            loop.run_until_complete(scenario())
    finally:
        loop.close()
    viz = json.loads(out.read_text())["traceEvents"]
    coroutines = {"poll", "blocked"}
    matched = missed = 0
    worst_start = worst_end = 0.0
    for record in tracer.tasks():
        short = record.coro.rsplit(".", 1)[-1]
        if short not in coroutines:
            continue
        steps = [c for c in tracer.callbacks() if c.task == record.serial]
        task_calls = []  # VizTracer's calls of this task's coroutine: the same thread, in order
        for e in viz:
            if (
                e.get("ph") == "X"
                and e["name"].startswith(f"{short} (")
                and steps
                and steps[0].start_ns / 1e3 - 1 <= e["ts"] <= steps[-1].end_ns / 1e3 + 1
            ):
                task_calls.append(e)
        # several poll tasks share one coroutine function: pair each step with the call inside it
        used = set()
        for step in steps:
            inside = [
                i
                for i, e in enumerate(task_calls)
                if i not in used and step.start_ns / 1e3 <= e["ts"] and e["ts"] + e["dur"] <= step.end_ns / 1e3
            ]
            if not inside:
                missed += 1
                continue
            i = inside[0]
            used.add(i)
            e = task_calls[i]
            matched += 1
            worst_start = max(worst_start, e["ts"] - step.start_ns / 1e3)
            worst_end = max(worst_end, step.end_ns / 1e3 - (e["ts"] + e["dur"]))
    calls = sum(1 for e in viz if e.get("ph") == "X" and e["name"].split(" (")[0] in coroutines)
    missed += calls - matched  # calls no step contained
    print(f"scripted tasks: {len(STATIONS) + 1}; task steps matched {matched}, missed {missed}")
    print(
        f"largest difference: step start {worst_start / 1000:.3f} ms, step end {worst_end / 1000:.3f} ms "
        f"(target 0 misses, ≤ 1 ms)"
    )


if __name__ == "__main__":
    main()
