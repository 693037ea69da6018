"""The lab's engines: one workload under each execution model.

``ENGINES``: sequential; a thread pool; a process pool with results through
``add_done_callback``; asyncio with an aiohttp fan-out (CPU work offloaded to a process
pool when C > 0); one ``multiprocessing.Process`` per item (capped: the naive pattern);
and gevent, which runs in its own subprocess (``services.lab.gevent_engine``) because
``monkey.patch_all`` must never touch the app. ``run_engine`` times one of them over
the whole workload; process pools are started and warmed before its clock starts.

Given ``loop_trace`` (a file path), the asyncio engine runs with the event-loop tracer
attached, and its CPU jobs (C > 0) go through a ``TracedPool`` over the same warm pool;
once its clock has stopped, the loop is written there (``services.lab.loop_trace``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from services.core.children import child_env, die_with_parent
from services.lab.loop_trace import write_loop_trace
from services.lab.workload import (
    ASYNC_BOUND,
    CORES,
    FETCH_TIMEOUT_S,
    MAX_N,
    EngineRun,
    Item,
    Workload,
    item_work,
    parse,
    reading_url,
    timed_parse,
)
from services.tracing.pool import Job, TracedPool
from services.tracing.tracer import LoopTracer

Report = Callable[[Item], None]


def run_sequential(w: Workload, report: Report) -> None:
    for i in range(w.n):
        report(item_work(w, i))


def run_threads(w: Workload, report: Report) -> None:
    with ThreadPoolExecutor(w.workers, thread_name_prefix="lab") as pool:
        for item in pool.map(lambda i: item_work(w, i), range(w.n)):
            report(item)


def warm_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool with every worker already started: the app keeps long-lived pools,
    so starting one is not counted as the engine's time."""
    pool = ProcessPoolExecutor(workers, initializer=die_with_parent)
    for future in [pool.submit(os.getpid) for _ in range(workers)]:
        future.result()
    return pool


def run_processes(
    w: Workload,
    report: Report,
    work: Callable[[Workload, int], Item] = item_work,
    pool: ProcessPoolExecutor | None = None,
) -> None:
    """Submit every item; each result reaches ``report`` through its future's done-callback."""
    lock, left, finished = threading.Lock(), [w.n], threading.Event()

    def done(future: Future[Item]) -> None:  # runs in the parent (the pool's result thread)
        with lock:
            report(future.result())
            left[0] -= 1
            if not left[0]:
                finished.set()

    own = pool is None
    pool = pool or warm_pool(w.workers)
    try:
        for i in range(w.n):
            pool.submit(work, w, i).add_done_callback(done)
        finished.wait()
    finally:
        if own:
            pool.shutdown()


@dataclass
class LoopTrace:
    """What a traced asyncio run leaves behind: its loop's tracer (detached) and its jobs."""

    tracer: LoopTracer | None = None
    jobs: list[Job] = field(default_factory=list)


def run_asyncio(
    w: Workload, report: Report, pool: ProcessPoolExecutor | None = None, traced: LoopTrace | None = None
) -> None:
    """The aiohttp fan-out; with C > 0 each payload's CPU work goes to ``pool``. With
    ``traced``, the loop runs traced and ``traced`` gets what was recorded."""
    asyncio.run(_fan_out(w, report, pool, traced))


async def _fan_out(
    w: Workload, report: Report, pool: ProcessPoolExecutor | None, traced: LoopTrace | None = None
) -> None:
    loop = asyncio.get_running_loop()
    tracer = LoopTracer(loop).attach() if traced is not None else None
    units = int(w.cpu_ms * w.iterations_per_ms)
    bound = asyncio.Semaphore(min(ASYNC_BOUND, w.n))
    own = pool is None and units > 0
    if own:
        pool = warm_pool(min(w.workers, CORES))
    # traced: each job's submit, start and end in its worker, on the trace's clock
    timed_pool = TracedPool(executor=pool, capacity=MAX_N) if tracer is not None and units else None

    async def one(session: aiohttp.ClientSession, index: int) -> None:
        start = time.perf_counter_ns()
        pid, reading, error = os.getpid(), None, ""
        try:
            async with bound, session.get(reading_url(w, index)) as resp:
                resp.raise_for_status()
                body = await resp.text()
            if timed_pool is not None:
                reading, pid = await asyncio.wrap_future(timed_pool.submit(timed_parse, body, units))
            elif units:
                reading, pid = await loop.run_in_executor(pool, timed_parse, body, units)
            else:
                reading = parse(body, 0)
        except (TimeoutError, aiohttp.ClientError, ValueError, KeyError) as err:
            error = f"{type(err).__name__}: {err}"
        report(Item(index, start, time.perf_counter_ns(), pid, "", reading, error))  # slots show the overlap

    try:
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
            async with asyncio.TaskGroup() as group:
                for i in range(w.n):
                    group.create_task(one(session, i), name=f"fetch {i}")
    finally:
        if tracer is not None and traced is not None:
            tracer.detach()
            traced.tracer, traced.jobs = tracer, timed_pool.jobs() if timed_pool is not None else []
        if own and pool is not None:
            pool.shutdown(wait=True)


def _per_item_child(w: Workload, index: int, results: Any) -> None:
    die_with_parent()
    results.put(item_work(w, index))  # the way back to the parent: a queue, not a callback


def run_process_per_item(w: Workload, report: Report) -> None:
    """The naive pattern: a new Process for every item, results back through a queue."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = [context.Process(target=_per_item_child, args=(w, i, results), name=f"item-{i}") for i in range(w.n)]
    for child in children:
        child.start()
    for _ in children:
        report(results.get(timeout=FETCH_TIMEOUT_S + 30))
    for child in children:
        child.join()


def run_gevent(w: Workload, report: Report) -> None:
    """In ``python -m services.lab.gevent_engine``: the workload in, one JSON item per line out."""
    with subprocess.Popen(
        [sys.executable, "-m", "services.lab.gevent_engine"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(asdict(w)))
        proc.stdin.close()
        for line in proc.stdout:
            data = json.loads(line)
            data["reading"] = tuple(data["reading"]) if data["reading"] else None
            report(Item(**data))
    if proc.returncode != 0:
        raise RuntimeError(f"the gevent process exited with code {proc.returncode}")


RUNNERS: dict[str, Callable[[Workload, Report], None]] = {
    "sequential": run_sequential,
    "threads": run_threads,
    "processes": run_processes,
    "asyncio": run_asyncio,
    "process_per_item": run_process_per_item,
    "gevent": run_gevent,
}


def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_engine(
    engine: str, w: Workload, report: Report | None = None, run: EngineRun | None = None, loop_trace: Path | None = None
) -> EngineRun:
    """One engine over the whole workload (into ``run``, if given, as items finish);
    ``report`` sees each item as it finishes; ``loop_trace``: see the module docstring."""
    run = run or EngineRun(engine)

    def keep(item: Item) -> None:
        run.items.append(item)
        if report is not None:
            report(item)

    pool = None  # a pool engine's workers are started before the clock (see warm_pool)
    if engine == "processes":
        pool = warm_pool(w.workers)
    elif engine == "asyncio" and w.cpu_ms:
        pool = warm_pool(min(w.workers, CORES))
    traced = LoopTrace()
    runner: Callable[[Workload, Report], None] = RUNNERS[engine]
    if engine == "processes":
        runner = functools.partial(run_processes, pool=pool)
    elif engine == "asyncio":
        runner = functools.partial(run_asyncio, pool=pool, traced=traced if loop_trace is not None else None)
    cpu, start = _cpu_s(), time.perf_counter()
    try:
        runner(w, keep)
    except Exception as err:  # an engine's failure is a result to show, not a crash
        run.error = f"{type(err).__name__}: {err}"
    finally:
        run.wall_s = time.perf_counter() - start
        if pool is not None:
            pool.shutdown()
    run.cpu_s = _cpu_s() - cpu  # after the shutdown: a child's CPU time counts once it is reaped
    run.items.sort(key=lambda item: item.index)
    if traced.tracer is not None and loop_trace is not None:
        run.loop = write_loop_trace(traced.tracer, loop_trace, traced.jobs)
    return run


def identical_readings(runs: list[EngineRun]) -> bool:
    """Every engine that finished returned the same reading for every item."""
    complete = [r for r in runs if not r.error and len(r.items) > 0]
    if not complete:
        return False
    first = [item.reading for item in complete[0].items]
    return None not in first and all([item.reading for item in r.items] == first for r in complete[1:])
