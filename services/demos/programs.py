"""The seed demos: six small programs about callbacks, tasks, pools, events, timers and
greenlets, each run for real against the sensor service, each returning a log (message
keys + values, so the page shows it in the UI language) and a timeline of what ran where.

Run a demo with ``run_demo(name, sensor_url, speed)``; ``speed`` < 1 shortens its waits.
They start processes and event loops of their own, so the page runs them in a
background job, never on the web worker's loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from services.core.children import child_env
from services.tracing.tracer import LoopTracer

DEMOS = ("process_callback", "task_callback", "pool_pids", "event_retry", "call_chain", "gevent")
DEMO_STATIONS = ("beijing", "shanghai", "guangzhou", "harbin")
SPEEDS = ((1.0, "1×"), (0.25, "4×"), (0.1, "10×"))  # the page's choices: factor, label
DEFAULT_SPEED = 0.25


@dataclass
class Line:
    t_ms: float  # from the demo's start
    pid: int
    key: str  # a services.core.i18n key ("demo.<name>.<step>")
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Span:
    """One bar of the demo's timeline: what ran, on which lane, when."""

    lane: str
    label: str
    start_ms: float
    end_ms: float


@dataclass
class DemoLog:
    name: str
    origin_ns: int = field(default_factory=time.perf_counter_ns)
    lines: list[Line] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ms(self, ns: int | None = None) -> float:
        return round(((ns or time.perf_counter_ns()) - self.origin_ns) / 1e6, 2)

    def say(self, key: str, pid: int | None = None, **params: Any) -> None:
        with self._lock:
            self.lines.append(Line(self.ms(), pid or os.getpid(), f"demo.{self.name}.{key}", params))

    def span(self, lane: str, label: str, start_ns: int, end_ns: int) -> None:
        with self._lock:
            self.spans.append(Span(lane, label, self.ms(start_ns), self.ms(end_ns)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lines": [{"t_ms": x.t_ms, "pid": x.pid, "key": x.key, "params": x.params} for x in self.lines],
            "spans": [vars(s) for s in self.spans],
        }


def fetch(sensor_url: str, station: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sensor_url}/stations/{station}", timeout=5) as resp:
        reading: dict[str, Any] = json.load(resp)
        return reading


async def fetch_async(sensor_url: str, station: str) -> dict[str, Any]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.get(f"{sensor_url}/stations/{station}") as resp:
            reading: dict[str, Any] = await resp.json()
            return reading


# -- seed 000: a callback passed to a child process runs in the child --------------------


def _child(sensor_url: str, callback: Callable[[dict[str, Any]], None], out: Any) -> None:
    reading = asyncio.run(fetch_async(sensor_url, "beijing"))  # the child's own event loop
    out.put(("fetched", os.getpid(), reading))
    callback(reading)  # runs here, in the child: the parent's state never sees it


def _fetch_in_worker(sensor_url: str, station: str) -> tuple[dict[str, Any], int]:
    return fetch(sensor_url, station), os.getpid()


def demo_process_callback(log: DemoLog, sensor_url: str, speed: float) -> None:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    received: list[dict[str, Any]] = []

    def callback(reading: dict[str, Any]) -> None:
        received.append(reading)
        out.put(("callback", os.getpid(), reading))

    child = context.Process(target=_child, args=(sensor_url, callback, out))
    log.say("start")
    started = time.perf_counter_ns()
    child.start()
    log.say("started", child_pid=child.pid)
    for _ in range(2):
        what, pid, reading = out.get(timeout=10)
        log.say(what, pid=pid, temperature=reading["temperature_c"], humidity=reading["humidity_pct"])
    child.join()
    log.span(f"pid {child.pid}", "child: event loop + fetch + callback", started, time.perf_counter_ns())
    log.say("parent_empty", received=len(received))
    # The way back: the child's result travels through the queue; the parent calls back.
    callback_in_parent: list[int] = []
    done = threading.Event()
    with ProcessPoolExecutor(1) as pool:
        submitted = time.perf_counter_ns()
        future = pool.submit(_fetch_in_worker, sensor_url, "shanghai")

        def on_done(f: Future[tuple[dict[str, Any], int]]) -> None:
            reading, worker = f.result()
            callback_in_parent.append(os.getpid())
            log.span(f"pid {worker}", "pool worker: fetch", submitted, time.perf_counter_ns())
            log.say("pool_callback", worker_pid=worker, temperature=reading["temperature_c"])
            done.set()

        future.add_done_callback(on_done)
        done.wait(10)
    log.say("conclusion", parent_pid=os.getpid())


# -- seed 002: coroutine → task, add_done_callback, functools.partial --------------------


def demo_task_callback(log: DemoLog, sensor_url: str, speed: float) -> None:
    async def get_reading(station: str) -> dict[str, Any]:
        await asyncio.sleep(0.2 * speed)
        return await fetch_async(sensor_url, station)

    def report(unit: str, task: asyncio.Task[dict[str, Any]]) -> None:  # partial supplies `unit`
        reading = task.result()
        value = reading["temperature_c"] if unit == "C" else reading["temperature_c"] * 9 / 5 + 32
        log.say("callback", value=round(value, 1), unit=unit, humidity=reading["humidity_pct"])

    async def main() -> None:
        coroutine = get_reading("guangzhou")
        log.say("coroutine", kind=type(coroutine).__name__)
        task = asyncio.get_running_loop().create_task(coroutine, name="get_reading(guangzhou)")
        log.say("task_pending", state="pending" if not task.done() else "finished")
        task.add_done_callback(functools.partial(report, "C"))
        task.add_done_callback(functools.partial(report, "F"))
        await task
        await asyncio.sleep(0)  # the done callbacks run on the loop's next turn
        log.say("task_finished", state="finished" if task.done() else "pending")

    _traced(log, main)


def _traced(log: DemoLog, main: Callable[[], Any]) -> None:
    """Run ``main()`` on a fresh loop with the tracer attached; its callbacks become spans."""
    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, capacity=20_000, lag_interval_s=0) as tracer:
            loop.run_until_complete(main())
            rows = tracer.callbacks()
            for c in rows:
                lane = tracer.task_name(c.task) if c.task else "callbacks"
                name = tracer.name_of(c)
                if c.task or "demo" in getattr(tracer.code_of(c), "co_filename", "demos.py"):
                    log.span(lane, name, c.start_ns, c.end_ns)
    finally:
        loop.close()


# -- seed 003: ProcessPoolExecutor.submit + add_done_callback ----------------------------


def demo_pool_pids(log: DemoLog, sensor_url: str, speed: float) -> None:
    log.say("start", workers=2)
    finished = threading.Event()
    left = [len(DEMO_STATIONS)]
    with ProcessPoolExecutor(2) as pool:
        for station in DEMO_STATIONS:
            submitted = time.perf_counter_ns()

            def parse(
                future: Future[tuple[dict[str, Any], int]], station: str = station, submitted: int = submitted
            ) -> None:
                reading, worker = future.result()
                log.span(f"pid {worker}", f"fetch {station}", submitted, time.perf_counter_ns())
                log.say("fetched", pid=worker, station=station)
                log.say(
                    "parsed", station=station, temperature=reading["temperature_c"], humidity=reading["humidity_pct"]
                )
                left[0] -= 1
                if not left[0]:
                    finished.set()

            pool.submit(_fetch_in_worker, sensor_url, station).add_done_callback(parse)
        finished.wait(15)
    log.say("done", parent_pid=os.getpid())


# -- seed 003: threading.Event: wait for a service check, 3 tries, then time out ---------


def demo_event_retry(log: DemoLog, sensor_url: str, speed: float) -> None:
    for outcome, url in (("up", sensor_url), ("down", "http://127.0.0.1:9")):
        log.say(f"case_{outcome}")
        ready = threading.Event()

        def check(url: str = url) -> None:
            start = time.perf_counter_ns()
            time.sleep(0.6 * speed)  # the check takes a moment
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    ready.set()
                log.say("check_ok")
            except OSError:
                log.say("check_failed")
            log.span("service check", "GET /health", start, time.perf_counter_ns())

        def worker(n: int) -> None:
            start = time.perf_counter_ns()
            for attempt in range(1, 4):
                if ready.wait(0.5 * speed):
                    log.say("connected", worker=n, attempt=attempt)
                    break
                log.say("waiting", worker=n, attempt=attempt)
            else:
                log.say("timeout", worker=n)
            log.span(f"worker {n} ({outcome})", "wait for the check", start, time.perf_counter_ns())

        threads = [threading.Thread(target=check)] + [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# -- seed 004: the call_soon / call_later chain ----------------------------------------


def demo_call_chain(log: DemoLog, sensor_url: str, speed: float) -> None:
    step_s = 1.0 * speed
    loop = asyncio.new_event_loop()

    def function(n: int, end: float, due: float) -> None:
        late = (loop.time() - due) * 1000
        log.say("called", n=n, at=f"{loop.time() - start:.2f}", late=f"{late:.1f}")
        if loop.time() + step_s < end:
            nxt = n % 3 + 1
            loop.call_later(step_s, function, nxt, end, loop.time() + step_s)
        else:
            log.say("stop", at=f"{loop.time() - start:.2f}")
            loop.stop()

    try:
        with LoopTracer(loop, capacity=1000, lag_interval_s=0) as tracer:
            start = loop.time()
            log.say("start", horizon=f"{9 * step_s:g}", step=f"{step_s:g}")
            loop.call_soon(function, 1, start + 9 * step_s, start)
            loop.run_forever()
            for c in tracer.callbacks():
                if tracer.name_of(c).endswith("function"):
                    log.span("loop", "function", c.start_ns, c.end_ns)
    finally:
        loop.close()


# -- seed 003: gevent spawn/joinall against sequential -----------------------------------


def demo_gevent(log: DemoLog, sensor_url: str, speed: float) -> None:
    """In its own process (``python -m services.demos.gevent_demo``): gevent stays out of the app."""
    out = subprocess.run(
        [sys.executable, "-m", "services.demos.gevent_demo", str(speed)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for line in out.splitlines():
        event = json.loads(line)
        if event["kind"] == "say":
            log.say(event["key"], pid=event["pid"], **event["params"])
        else:
            log.spans.append(Span(event["lane"], event["label"], event["start_ms"], event["end_ms"]))


RUNNERS: dict[str, Callable[[DemoLog, str, float], None]] = {
    "process_callback": demo_process_callback,
    "task_callback": demo_task_callback,
    "pool_pids": demo_pool_pids,
    "event_retry": demo_event_retry,
    "call_chain": demo_call_chain,
    "gevent": demo_gevent,
}


def run_demo(name: str, sensor_url: str, speed: float = DEFAULT_SPEED) -> DemoLog:
    if name not in RUNNERS:
        raise ValueError(f"unknown demo {name!r}")
    log = DemoLog(name)
    RUNNERS[name](log, sensor_url, min(max(speed, 0.05), 1.0))
    return log
