"""Faults, measured: `looplens run` (2 web workers) on loopback, each component killed with
SIGKILL in turn, then a load on the web routes.

For each kill it prints: time until the supervisor (or gunicorn, for a worker) has a new
process running, time until readings reach the store again, readings missed (stations ×
periods in the window, less what arrived), /healthz answers during the outage, and
orphans (processes of the app left with no parent). Then 50 concurrent clients for
SECONDS on /healthz, / and /_dash-layout: requests/s, non-2xx, p99.

Targets (issue 15): restart ≤ 2 s, readings again ≤ 1 collector period after the restart,
0 orphans, 0 non-2xx and 0 false 503 under load.

Usage: python bench/faults.py [SECONDS, default 20]
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.server import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PERIOD_S = 1.0


def status_code(target: str | urllib.request.Request, timeout_s: float = 2) -> int | None:
    """The status a GET of a URL (or a prepared request) answers; None: no answer."""
    try:
        with urllib.request.urlopen(target, timeout=timeout_s) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def components(data: Path) -> dict[str, dict]:
    try:
        return json.loads((data / "supervisor.json").read_text())["components"]
    except (OSError, ValueError):
        return {}


def stored(data: Path) -> tuple[int, float]:
    """(last row id, its reading time) in the store."""
    with sqlite3.connect(data / "readings.sqlite3") as db:
        row = db.execute("SELECT COALESCE(MAX(id), 0), COALESCE(MAX(ts), 0) FROM readings").fetchone()
    return int(row[0]), float(row[1])


def rows_between(data: Path, start: float, end: float) -> int:
    with sqlite3.connect(data / "readings.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM readings WHERE ts >= ? AND ts < ?", (start, end)).fetchone()[0])


def orphans(data: Path) -> list[int]:
    """The app's processes whose parent is gone (re-parented to init)."""
    found = []
    for proc in psutil.process_iter(["pid", "ppid", "cmdline", "environ"]):
        try:
            env = proc.info["environ"] or {}
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
        if env.get("LOOPLENS_DATA_DIR") == str(data) and proc.info["ppid"] == 1:
            found.append(proc.info["pid"])
    return found


def kill_and_watch(name: str, pid: int, respawned, url: str, data: Path, stations: int) -> dict:
    """Kill ``pid``; measure until ``respawned()`` says a new process runs and readings flow."""
    before_id, _ = stored(data)
    killed = time.time()
    os.kill(pid, signal.SIGKILL)
    restart = flowing = None
    health: dict[str, int] = {}
    deadline = killed + 60
    while time.time() < deadline and (restart is None or flowing is None):
        code = status_code(f"{url}/healthz")
        health[str(code)] = health.get(str(code), 0) + 1
        if restart is None and respawned():
            restart = time.time() - killed
        if restart is not None and flowing is None and stored(data)[0] > before_id and stored(data)[1] > killed:
            flowing = time.time() - killed
        time.sleep(0.1)
    window = (flowing or 60) + PERIOD_S
    missed = max(
        0, int(stations * window / PERIOD_S) - rows_between(data, killed - PERIOD_S, killed + window - PERIOD_S)
    )
    time.sleep(1.0)
    return {"component": name, "restart_s": restart, "readings_again_s": flowing, "missed": missed,
            "healthz": health, "orphans": len(orphans(data))}  # fmt: skip


async def load(url: str, seconds: float, clients: int = 50) -> dict:
    latencies: list[float] = []
    bad = 0
    end = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal bad
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                async with session.get(url) as resp:
                    await resp.read()
                    bad += resp.status >= 300
            except aiohttp.ClientError:
                bad += 1
            latencies.append(time.perf_counter() - start)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    return {"requests_per_s": len(latencies) / seconds, "non_2xx": bad, "p99_ms": p99 * 1000}


def main(seconds: float) -> None:
    data = Path(tempfile.mkdtemp(prefix="looplens-faults-"))
    port, sensor_port, trace_port, stations = free_port(), free_port(), free_port(), 16
    env = dict(os.environ, LOOPLENS_DATA_DIR=str(data), LOOPLENS_SENSOR_PORT=str(sensor_port),
               LOOPLENS_TRACE_PORT=str(trace_port), LOOPLENS_COLLECTOR_PERIOD_S=str(PERIOD_S),
               LOOPLENS_SENSOR_LATENCY_MS="20", LOOPLENS_SENSOR_JITTER_MS="5")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    app = subprocess.Popen([sys.executable, "-m", "looplens", "run", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.time() + 60
        while status_code(f"{url}/healthz") != 200:
            assert time.time() < deadline, "looplens run never became healthy"
            time.sleep(0.3)
        time.sleep(3)
        results = []
        for name in ("collector", "sensor-sim", "web"):
            pid = components(data)[name]["pid"]
            results.append(
                kill_and_watch(
                    name,
                    pid,
                    lambda n=name, p=pid: components(data).get(n, {}).get("pid") not in (None, p),
                    url,
                    data,
                    stations,
                )
            )
        master = components(data)["web"]["pid"]
        worker = psutil.Process(master).children()[0].pid
        results.append(
            kill_and_watch(
                "web worker",
                worker,
                lambda: (
                    len(psutil.Process(master).children()) >= 2
                    and worker not in [c.pid for c in psutil.Process(master).children()]
                ),
                url,
                data,
                stations,
            )
        )
        jobs = urllib.request.Request(f"http://127.0.0.1:{trace_port}/trace/jobs?n=4&ms=50", method="POST")
        urllib.request.urlopen(jobs, timeout=10)
        time.sleep(2)
        collector = psutil.Process(components(data)["collector"]["pid"])
        pool = [c.pid for c in collector.children() if "multiprocessing" in " ".join(c.cmdline())]

        def jobs_run_again() -> bool:  # a pool that lost a worker is replaced at the next jobs
            return status_code(jobs, 10) == 200

        if pool:
            results.append(kill_and_watch("pool worker", pool[0], jobs_run_again, url, data, stations))
        for row in results:
            print(json.dumps(row))
        for path in ("/healthz", "/", "/_dash-layout"):
            print(
                json.dumps({"load": path, "clients": 50, "seconds": seconds, **asyncio.run(load(url + path, seconds))})
            )
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(30)
        print(json.dumps({"orphans_after_stop": len(orphans(data))}))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0)
