"""What the agent costs a real program: an aiohttp server under a loopback load generator
(50 connections), run untraced (``python server.py``) and traced by the agent
(``looplens trace server.py``, its trace polled once a second as the Trace page does),
interleaved so drift on this shared 2-core machine hits both alike. Prints requests/s and
p99 latency per run, their ratios (targets: requests/s ≥ 0.95×, p99 ≤ 1.10×), and how long
the agent took to answer while the server was under load.

Usage: python bench/agent_overhead.py [seconds per run, default 20] [rounds, default 2] [--no-poll]
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

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 50
POLL = "--no-poll" not in sys.argv  # --no-poll: traced, but nobody reads the trace
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


async def load(url: str, seconds: float, agent: tuple[str, str] | None) -> tuple[float, float, list[float]]:
    """(requests/s, p99 ms, the agent's answer times in ms) over ``seconds``."""
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
    return len(latencies) / took, latencies[int(len(latencies) * 0.99)] * 1000, answers


def run(traced: bool, seconds: float, folder: Path) -> tuple[float, float, list[float]]:
    port = free_port()
    script = folder / "server.py"
    command = [sys.executable, "-m", "looplens", "trace"] if traced else [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([*command, str(script), str(port)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
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
        return asyncio.run(load(url, seconds, agent if POLL else None))
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    seconds = float(numbers[0]) if numbers else 20.0
    rounds = int(numbers[1]) if len(numbers) > 1 else 2
    folder = Path(tempfile.mkdtemp(prefix="looplens-agent-bench-"))
    (folder / "server.py").write_text(textwrap.dedent(SERVER))
    plain, traced, answers = [], [], []
    for r in range(rounds):
        for is_traced, into in ((False, plain), (True, traced)):
            rate, p99, times = run(is_traced, seconds, folder)
            into.append((rate, p99))
            answers += times
            label = "traced  " if is_traced else "untraced"
            print(f"round {r + 1} {label}: {rate:8.0f} req/s  p99 {p99:6.1f} ms", flush=True)
    rate_ratio = statistics.median(t[0] for t in traced) / statistics.median(p[0] for p in plain)
    p99_ratio = statistics.median(t[1] for t in traced) / statistics.median(p[1] for p in plain)
    print(f"requests/s traced ÷ untraced (medians): {rate_ratio:.3f}  (target ≥ 0.95)")
    print(f"p99 traced ÷ untraced (medians):        {p99_ratio:.3f}  (target ≤ 1.10)")
    answers.sort()
    if answers:
        print(
            f"the agent answered {len(answers)} polls under load: p50 {statistics.median(answers):.1f} ms,"
            f" max {answers[-1]:.1f} ms (target ≤ 100 ms)"
        )


if __name__ == "__main__":
    main()
