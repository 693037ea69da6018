"""Does the tracer see every task step, at the right time? A scripted scenario runs once
under looplens' LoopTracer and VizTracer together; VizTracer records each resumption of a
coroutine as one call of its function, on the same clock (CLOCK_MONOTONIC, µs). For each
scripted task, its steps in the tracer are paired in order with VizTracer's calls of its
coroutine. Prints matches, misses (steps only one side saw) and the largest timestamp
difference at the start and at the end of a step. Target: 0 misses, ≤ 1 ms.

A second scenario runs under the agent (as ``looplens trace`` runs a program): a producer
and a slower consumer on a bounded queue, and one blocking call. Besides the steps, it
prints the line the agent reports the block stuck at (it must be the blocking call's) and
how many of the agent's queue samples equal the queue's true size at that moment.
Usage: python bench/trace_fidelity.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from viztracer import VizTracer  # noqa: E402

from services.tracing.agent import Agent  # noqa: E402
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


BLOCK_LINE = 0  # set below: the line of the consumer's blocking call


async def producer(queue: asyncio.Queue[int], n: int) -> None:
    for i in range(n):
        await queue.put(i)  # waits while the queue is full
        TRUTH.append((time.perf_counter_ns(), queue.qsize()))
        await asyncio.sleep(0.001)


async def consumer(queue: asyncio.Queue[int], n: int) -> None:
    for i in range(n):
        await queue.get()
        TRUTH.append((time.perf_counter_ns(), queue.qsize()))
        await asyncio.sleep(0.004)  # slower than the producer: the queue fills and stays full
        if i == n // 2:
            time.sleep(0.06)  # the blocking call whose line the agent must report


BLOCK_LINE = consumer.__code__.co_firstlineno + 6
TRUTH: list[tuple[int, int]] = []  # (when, the queue's size) after each put and get


async def queued() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=5)
    TRUTH.append((time.perf_counter_ns(), 0))
    async with asyncio.TaskGroup() as group:
        group.create_task(producer(queue, 200), name="producer")
        group.create_task(consumer(queue, 200), name="consumer")


def traced(scenario: Any, agent: Agent | None = None) -> tuple[LoopTracer, list[dict[str, Any]]]:
    """Run ``scenario`` on a new loop under LoopTracer (or the agent's hub) and VizTracer."""
    out = Path(tempfile.mkdtemp()) / "viz.json"
    loop = asyncio.new_event_loop()
    try:
        with VizTracer(output_file=str(out), verbose=0, tracer_entries=1_000_000):
            if agent is not None:
                tracer = agent.adopt(loop).tracer
                loop.run_until_complete(scenario())
            else:
                with LoopTracer(loop, lag_interval_s=0) as tracer:
                    loop.run_until_complete(scenario())
    finally:
        loop.close()
    return tracer, json.loads(out.read_text())["traceEvents"]


def paired(tracer: LoopTracer, viz: list[dict[str, Any]], coroutines: set[str]) -> tuple[int, int, float, float]:
    """Each scripted task's steps paired in order with VizTracer's calls of its coroutine:
    (matched, missed, worst start difference µs, worst end difference µs)."""
    matched = missed = 0
    worst_start = worst_end = 0.0
    for record in tracer.tasks():
        short = record.coro.rsplit(".", 1)[-1]
        if short not in coroutines:
            continue
        steps = [c for c in tracer.callbacks() if c.task == record.serial]
        task_calls = [  # VizTracer's calls of this task's coroutine: the same thread, in order
            e
            for e in viz
            if e.get("ph") == "X"
            and e["name"].startswith(f"{short} (")
            and steps
            and steps[0].start_ns / 1e3 - 1 <= e["ts"] <= steps[-1].end_ns / 1e3 + 1
        ]
        used: set[int] = set()  # several tasks share a coroutine function: pair each step with the call inside it
        for step in steps:
            inside = [
                i
                for i, e in enumerate(task_calls)
                if i not in used and step.start_ns / 1e3 <= e["ts"] and e["ts"] + e["dur"] <= step.end_ns / 1e3
            ]
            if not inside:
                missed += 1
                continue
            used.add(inside[0])
            e = task_calls[inside[0]]
            matched += 1
            worst_start = max(worst_start, e["ts"] - step.start_ns / 1e3)
            worst_end = max(worst_end, step.end_ns / 1e3 - (e["ts"] + e["dur"]))
    calls = sum(1 for e in viz if e.get("ph") == "X" and e["name"].split(" (")[0] in coroutines)
    return matched, missed + calls - matched, worst_start, worst_end  # calls no step contained


def report(name: str, tasks: int, found: tuple[int, int, float, float]) -> None:
    matched, missed, worst_start, worst_end = found
    print(f"{name}: scripted tasks {tasks}; task steps matched {matched}, missed {missed}")
    print(
        f"{name}: largest difference: step start {worst_start / 1000:.3f} ms, step end {worst_end / 1000:.3f} ms "
        f"(target 0 misses, ≤ 1 ms)"
    )


def true_size(at_ns: int) -> set[int]:
    """The queue's size at ``at_ns``, or either size if it changed within 0.2 ms of it."""
    sizes = {size for when, size in TRUTH if abs(when - at_ns) <= 200_000}
    before = [size for when, size in TRUTH if when <= at_ns]
    return sizes | set(before[-1:])


def main() -> None:
    tracer, viz = traced(scenario)
    report("polls and a block", len(STATIONS) + 1, paired(tracer, viz, {"poll", "blocked"}))

    agent = Agent().start()  # the agent as a traced program has it: its thread samples
    tracer, viz = traced(queued, agent)
    report("a bounded queue and a block (traced by the agent)", 2, paired(tracer, viz, {"producer", "consumer"}))
    hub = agent.current()
    block = max(tracer.callbacks(), key=lambda c: c.duration_ns)
    culprit = hub.culprits.of(block.seq) or {}
    where = culprit.get("where")
    expected = [__file__, BLOCK_LINE, "consumer"]
    print(
        f"the block: {block.duration_ns / 1e6:.0f} ms, reported stuck at {where} "
        f"({'the right line' if where == expected else f'WRONG: the line is {expected}'})"
    )
    (queue,) = [f for f in hub.primitives.snapshot(0)["objects"] if f["kind"] == "queue"]
    samples = queue["samples"]
    right = sum(1 for at, size, _putters, _getters in samples if size in true_size(at))
    full = sum(1 for _, size, putters, _ in samples if size == queue["maxsize"] and putters)
    print(
        f"the queue ({queue['site']}, maxsize {queue['maxsize']}): {len(samples)} samples, "
        f"{right} equal to its true size (target: all), {full} full with a putter waiting"
    )


if __name__ == "__main__":
    main()
