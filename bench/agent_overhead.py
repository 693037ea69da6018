"""What the agent costs a real program: an aiohttp server under a loopback load generator
(50 connections), untraced (``python server.py``) and traced by the agent (``looplens trace
server.py``, its trace polled once a second as the Trace page does).

Both servers run side by side, on the same core, and take turns under the load in short
slices (``SLICE_S``), in ABBA blocks (untraced, traced, traced, untraced; then the other way
round), so this shared machine's drift (its speed moves by a quarter within a minute) hits
both alike; each server's figures pool its slices. The load generator runs on the other core
(``PIN``; ``--no-pin`` to compare); the agent's thread shares the server's, as it would in
production. Prints requests/s, p99 latency and the server's CPU time per request of each,
their ratios (targets: requests/s ≥ 0.95×, p99 ≤ 1.10×) with the spread of the blocks' own
ratios, and how long the agent took to answer while the server was under load. CPU per
request is the cost itself: it holds whichever side limits the rate, where requests/s
moves with the load generator too.

Usage: python bench/agent_overhead.py [seconds per server, default 40] [slice seconds, default 2]
                                      [--no-poll] [--no-pin]
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 50
SLICE_S = 2.0  # a turn under the load: the page polls at its start and a second in
POLL = "--no-poll" not in sys.argv  # --no-poll: traced, but nobody reads the trace
CORES = sorted(os.sched_getaffinity(0))
PIN = (CORES[0], CORES[1]) if len(CORES) >= 2 and "--no-pin" not in sys.argv else None  # (load, server) cores
SERVER = """
import asyncio, json, sys
from aiohttp import web

async def reading(request):
    await asyncio.sleep(0)  # a hop through the loop, as real handlers await something
    station = request.match_info["station"]
    return web.json_response({"station": station, "temperature_c": 21.5, "humidity_pct": 48.0})

app = web.Application()
app.add_routes([web.get("/reading/{station}", reading)])
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"the server at {url} did not come up")


@dataclass
class Tally:
    """One server's pooled slices."""

    latencies: list[float] = field(default_factory=list)  # seconds
    seconds: float = 0.0
    cpu_s: float = 0.0

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.seconds += other.seconds
        self.cpu_s += other.cpu_s

    def figures(self) -> tuple[float, float, float]:
        """(requests/s, p99 ms, server CPU µs per request)."""
        ordered = sorted(self.latencies)
        n = len(ordered)
        return n / self.seconds, ordered[int(n * 0.99)] * 1000, self.cpu_s / n * 1e6


@dataclass
class Server:
    traced: bool
    process: subprocess.Popen[str]
    url: str
    agent: tuple[str, str] | None  # (its trace's base URL, token)
    cursor: int = -1  # the page's: it stays open across slices

    @classmethod
    def start(cls, traced: bool, script: Path) -> Server:
        port = free_port()
        command = [sys.executable, "-m", "looplens", "trace"] if traced else [sys.executable]
        pin = ["taskset", "-c", str(PIN[1])] if PIN else []
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [*pin, *command, str(script), str(port)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
        )
        agent = None
        assert process.stderr is not None
        if traced:
            banner = process.stderr.readline()
            if not (found := re.search(r"at (http://[\d.:]+)/trace .*: (\S+)$", banner)):
                process.kill()
                raise RuntimeError(f"the traced server said no agent: {banner!r}")
            agent = (found.group(1), found.group(2))
        threading.Thread(target=process.stderr.read, daemon=True).start()  # a pipe nobody reads would fill
        return cls(traced, process, f"http://127.0.0.1:{port}", agent)

    def cpu_s(self) -> float:
        """CPU seconds (user + system, every thread) the server's processes have used."""
        procs = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in procs)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


async def load(server: Server, session: aiohttp.ClientSession, seconds: float, answers: list[float]) -> Tally:
    """One slice: ``server`` under the load for ``seconds`` (its page polling, if traced)."""
    tally = Tally()
    end = time.perf_counter() + seconds

    async def client(n: int) -> None:
        while (now := time.perf_counter()) < end:
            async with session.get(f"{server.url}/reading/s{n}") as answer:
                await answer.read()
            tally.latencies.append(time.perf_counter() - now)

    async def page() -> None:  # the Trace page's poll, once a second
        assert server.agent is not None
        base, token = server.agent
        while time.perf_counter() < end:
            began = time.perf_counter()
            params = {"after": server.cursor, "window_s": 10}
            async with session.get(f"{base}/trace", params=params, headers={"X-Looplens-Token": token}) as answer:
                server.cursor = (await answer.json())["cursor"]
            answers.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(min(1.0, max(0.0, end - time.perf_counter())))

    cpu0, began = server.cpu_s(), time.perf_counter()
    polls = [page()] if server.agent and POLL else []
    await asyncio.gather(*(client(n) for n in range(CONNECTIONS)), *polls)
    tally.seconds, tally.cpu_s = time.perf_counter() - began, server.cpu_s() - cpu0
    return tally


def ratios(traced: Tally, untraced: Tally) -> tuple[float, float, float]:
    """(requests/s, p99, CPU per request), traced ÷ untraced."""
    return tuple(t / u for t, u in zip(traced.figures(), untraced.figures(), strict=True))  # type: ignore[return-value]


async def bench(servers: dict[bool, Server], seconds: float, slice_s: float) -> None:
    pooled, answers = {False: Tally(), True: Tally()}, []
    idle = {False: 0.0, True: 0.0}  # CPU s each server used while the other was under the load
    blocks: list[tuple[float, float, float]] = []
    connector = aiohttp.TCPConnector(limit=CONNECTIONS + 1)
    async with aiohttp.ClientSession(connector=connector) as session:
        for server in servers.values():
            await wait_up(f"{server.url}/reading/warm")
            await load(server, session, 2.0, [])  # warm-up, not counted
        for b in range(max(1, round(seconds / slice_s / 2))):
            block = {False: Tally(), True: Tally()}
            for traced in (False, True, True, False) if b % 2 == 0 else (True, False, False, True):
                resting, before = servers[not traced], servers[not traced].cpu_s()
                block[traced].add(await load(servers[traced], session, slice_s, answers))
                idle[resting.traced] += resting.cpu_s() - before
            for traced, tally in block.items():
                pooled[traced].add(tally)
            blocks.append(ratios(block[True], block[False]))
            print(f"block {b + 1}: traced ÷ untraced req/s {blocks[-1][0]:.3f}  p99 {blocks[-1][1]:.3f}"
                  f"  CPU/request {blocks[-1][2]:.3f}", flush=True)  # fmt: skip
    for traced, tally in pooled.items():
        rate, p99, cpu = tally.figures()
        print(f"{'traced  ' if traced else 'untraced'}: {rate:8.0f} req/s  p99 {p99:6.1f} ms"
              f"  server CPU {cpu:5.1f} µs/request  ({tally.seconds:.0f} s;"
              f" resting while the other ran: {idle[traced] / tally.seconds:.1%} of a core)")  # fmt: skip
    overall = ratios(pooled[True], pooled[False])
    for i, (what, target) in enumerate((("requests/s", "≥ 0.95"), ("p99", "≤ 1.10"), ("CPU per request", ""))):
        spread = sorted(b[i] for b in blocks)
        print(f"{what + ' traced ÷ untraced':34} {overall[i]:.3f}  (blocks {spread[0]:.3f}–{spread[-1]:.3f},"
              f" median {statistics.median(spread):.3f}){'  target ' + target if target else ''}")  # fmt: skip
    answers.sort()
    if answers:
        print(
            f"the agent answered {len(answers)} polls under load: p50 {statistics.median(answers):.1f} ms,"
            f" max {answers[-1]:.1f} ms (target ≤ 100 ms)"
        )


def main() -> None:
    numbers = [float(a) for a in sys.argv[1:] if not a.startswith("--")]
    seconds = numbers[0] if numbers else 40.0
    slice_s = numbers[1] if len(numbers) > 1 else SLICE_S
    folder = Path(tempfile.mkdtemp(prefix="looplens-agent-bench-"))
    (folder / "server.py").write_text(textwrap.dedent(SERVER))
    if PIN:
        os.sched_setaffinity(0, {PIN[0]})
    print(f"load on core {PIN[0]}, both servers on core {PIN[1]}" if PIN else "not pinned", flush=True)
    servers: dict[bool, Server] = {}
    try:
        for traced in (False, True):
            servers[traced] = Server.start(traced, folder / "server.py")
        asyncio.run(bench(servers, seconds, slice_s))
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
