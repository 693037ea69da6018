"""What the agent costs a real program: an aiohttp server under a loopback load generator
(50 connections), run untraced (``python server.py``) and traced by the agent
(``looplens trace server.py``, its trace polled once a second as the Trace page does),
interleaved so drift on this shared 2-core machine hits both alike: each round runs both,
first one then the other in turn (untraced, traced; traced, untraced; …), and gives its own
ratios; the figures are the rounds' medians. The server runs on one core and the load
generator on the other (``PIN``; ``--no-pin`` to compare), so they do not take turns on one
core; the agent's thread shares the server's, as it would in production.
Prints requests/s, p99 latency and the server's CPU time per request for each run, the
ratios (targets: requests/s ≥ 0.95×, p99 ≤ 1.10×), and how long the agent took to answer
while the server was under load. CPU per request is the cost itself: it holds whichever side
limits the rate, where requests/s moves with the load generator too. This machine's own
speed drifts (the same untraced server took 57–75 µs of CPU per request within one run),
hence the pairs.

Usage: python bench/agent_overhead.py [seconds per run, default 20] [rounds, default 2] [--no-poll] [--no-pin]
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
import time
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 50
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


async def load(url: str, seconds: float, agent: tuple[str, str] | None) -> tuple[float, float, list[float], int]:
    """(requests/s, p99 ms, the agent's answer times in ms, requests answered) over ``seconds``."""
    latencies: list[float] = []
    answers: list[float] = []
    end = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(n: int) -> None:
            while (now := time.perf_counter()) < end:
                async with session.get(f"{url}/reading/s{n}") as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - now)

        async def page() -> None:  # the Trace page's poll, once a second
            assert agent is not None
            after = -1
            async with aiohttp.ClientSession(headers={"X-Looplens-Token": agent[1]}) as own:
                while time.perf_counter() < end:
                    began = time.perf_counter()
                    async with own.get(f"{agent[0]}/trace", params={"after": after, "window_s": 10}) as answer:
                        after = (await answer.json())["cursor"]
                    answers.append((time.perf_counter() - began) * 1000)
                    await asyncio.sleep(1.0)

        began = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(CONNECTIONS)), *([page()] if agent else []))
        took = time.perf_counter() - began
    latencies.sort()
    return len(latencies) / took, latencies[int(len(latencies) * 0.99)] * 1000, answers, len(latencies)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) the server's processes have used."""
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def run(traced: bool, seconds: float, folder: Path) -> tuple[float, float, list[float], float]:
    """(requests/s, p99 ms, the agent's answer times, the server's CPU µs per request)."""
    port = free_port()
    script = folder / "server.py"
    command = [sys.executable, "-m", "looplens", "trace"] if traced else [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    pin = ["taskset", "-c", str(PIN[1])] if PIN else []
    process = subprocess.Popen(
        [*pin, *command, str(script), str(port)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        agent = None
        if traced:
            banner = process.stderr.readline() if process.stderr else ""
            found = re.search(r"at (http://[\d.:]+)/trace .*: (\S+)$", banner)
            assert found, banner
            agent = (found.group(1), found.group(2))
        url = f"http://127.0.0.1:{port}"
        asyncio.run(wait_up(f"{url}/reading/warm"))
        asyncio.run(load(url, 2, None))  # warm-up, not counted
        cpu0 = cpu_s(process.pid)
        rate, p99, answers, answered = asyncio.run(load(url, seconds, agent if POLL else None))
        return rate, p99, answers, (cpu_s(process.pid) - cpu0) / answered * 1e6
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    seconds = float(numbers[0]) if numbers else 20.0
    rounds = int(numbers[1]) if len(numbers) > 1 else 2
    folder = Path(tempfile.mkdtemp(prefix="looplens-agent-bench-"))
    (folder / "server.py").write_text(textwrap.dedent(SERVER))
    if PIN:
        os.sched_setaffinity(0, {PIN[0]})
    print(f"load on core {PIN[0]}, server on core {PIN[1]}" if PIN else "not pinned", flush=True)
    ratios, answers = [], []
    for r in range(rounds):
        got = {}
        for is_traced in (False, True) if r % 2 == 0 else (True, False):
            rate, p99, times, cpu = got[is_traced] = run(is_traced, seconds, folder)
            answers += times
            label = "traced  " if is_traced else "untraced"
            print(f"round {r + 1} {label}: {rate:8.0f} req/s  p99 {p99:6.1f} ms  server CPU {cpu:5.1f} µs/request",
                  flush=True)  # fmt: skip
        (rate_t, p99_t, _, cpu_t), (rate_u, p99_u, _, cpu_u) = got[True], got[False]
        ratios.append((rate_t / rate_u, p99_t / p99_u, cpu_t / cpu_u))
        print(
            f"round {r + 1} traced ÷ untraced: req/s {ratios[-1][0]:.3f}  p99 {ratios[-1][1]:.3f}  "
            f"CPU/request {ratios[-1][2]:.3f}",
            flush=True,
        )
    rate, p99, cpu = (statistics.median(r[i] for r in ratios) for i in range(3))
    print(f"requests/s traced ÷ untraced (median of rounds):  {rate:.3f}  (target ≥ 0.95)")
    print(f"p99 traced ÷ untraced (median of rounds):         {p99:.3f}  (target ≤ 1.10)")
    print(f"server CPU per request, traced ÷ untraced:        {cpu:.3f}  (the cost itself, whoever is the bottleneck)")
    answers.sort()
    if answers:
        print(
            f"the agent answered {len(answers)} polls under load: p50 {statistics.median(answers):.1f} ms,"
            f" max {answers[-1]:.1f} ms (target ≤ 100 ms)"
        )


if __name__ == "__main__":
    main()
