"""Chaos: `looplens run` with a Live page open, each component killed with SIGKILL in turn
(the collector after hanging it, so that its heartbeat goes stale), a web worker too.
Each comes back, /healthz tells the truth through it, the page keeps streaming, no process
is left behind, and no reading is lost outside the time the collector was down."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from scripts.chrome import headless_chrome
from scripts.server import free_port
from tests.browser.helpers import SHOWN, wait_until
from tests.helpers import ROOT, get_or_none

pytestmark = pytest.mark.browser

PERIOD_S = 0.5


def supervised(data: Path) -> dict[str, dict]:
    try:
        return json.loads((data / "supervisor.json").read_text())["components"]
    except (OSError, ValueError):
        return {}


def running_pid(data: Path, name: str) -> int | None:
    entry = supervised(data).get(name, {})
    return entry.get("pid") if entry.get("state") == "running" else None


def newest_reading(data: Path) -> float:
    with sqlite3.connect(data / "readings.sqlite3") as db:
        return float(db.execute("SELECT COALESCE(MAX(ts), 0) FROM readings").fetchone()[0])


def latest_point(driver) -> str:
    traces = driver.execute_script(SHOWN) or []
    return max((x for t in traces for x in t["x"] if x), default="")


def app_processes(data: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["environ"]):
        try:
            if (proc.info["environ"] or {}).get("LOOPLENS_DATA_DIR") == str(data):
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    return found


def test_every_component_killed_comes_back_and_the_page_goes_on(tmp_path):
    data = tmp_path / "data"
    port = free_port()
    env = dict(os.environ, LOOPLENS_DATA_DIR=str(data), LOOPLENS_SENSOR_PORT=str(free_port()),
               LOOPLENS_TRACE_PORT=str(free_port()), LOOPLENS_COLLECTOR_PERIOD_S=str(PERIOD_S),
               LOOPLENS_SENSOR_LATENCY_MS="10", LOOPLENS_SENSOR_JITTER_MS="2")  # fmt: skip
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        app = subprocess.Popen([sys.executable, "-m", "looplens", "run", "--bind", f"127.0.0.1:{port}", "--workers",
                                "1"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    driver = None
    try:
        wait_until(lambda: get_or_none(f"{url}/healthz") == 200, 60, "looplens run to be healthy")
        driver = headless_chrome(1280, 900)
        driver.get(f"{url}/live")
        wait_until(lambda: latest_point(driver), 20, "points on the Live page")

        # a collector that hangs: /healthz says 503 once its heartbeat is 3 periods old; killed,
        # it is restarted and /healthz is 200 again, with readings after the restart
        pid = running_pid(data, "collector")
        os.kill(pid, signal.SIGSTOP)
        wait_until(lambda: get_or_none(f"{url}/healthz") == 503, 10, "healthz 503 for a hung collector")
        os.kill(pid, signal.SIGKILL)
        killed = time.time()
        wait_until(lambda: (p := running_pid(data, "collector")) and p != pid, 5, "a new collector")
        assert time.time() - killed < 2.5
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
            assert 'looplens_restarts{component="collector"} 1.0' in resp.read().decode()
        wait_until(lambda: newest_reading(data) > killed, 10, "readings after the collector's restart")
        wait_until(lambda: get_or_none(f"{url}/healthz") == 200, 15, "healthz 200 again")

        # a web worker (gunicorn starts another) and the page resumes by itself
        master = running_pid(data, "web")
        worker = psutil.Process(master).children()[0]
        worker.kill()
        wait_until(lambda: worker.pid not in [c.pid for c in psutil.Process(master).children()], 10, "a new worker")
        before = latest_point(driver)
        wait_until(lambda: latest_point(driver) > before, 20, "the Live page streaming after the worker")

        # the sensor simulator, then the web server: each restarted, readings and the page go on
        for name in ("sensor-sim", "web"):
            pid = running_pid(data, name)
            os.kill(pid, signal.SIGKILL)
            killed = time.time()
            wait_until(lambda n=name, p=pid: (q := running_pid(data, n)) and q != p, 5, f"a new {name}")
            wait_until(lambda k=killed: newest_reading(data) > k, 15, f"readings after the {name} restart")
        wait_until(lambda: get_or_none(f"{url}/healthz") == 200, 30, "healthz 200 after the web restart")
        before = latest_point(driver)
        wait_until(lambda: latest_point(driver) > before, 20, "the Live page streaming again")

        # a trace pool worker: killed, and a new pool serves the next jobs
        trace = f"http://127.0.0.1:{env['LOOPLENS_TRACE_PORT']}/trace/jobs?n=2&ms=20"
        urllib.request.urlopen(urllib.request.Request(trace, method="POST"), timeout=10)
        collector = psutil.Process(running_pid(data, "collector"))
        pool = wait_until(lambda: [c for c in collector.children() if c.cmdline()[-1:] != [""]], 10, "pool workers")
        pool[0].kill()
        time.sleep(0.5)
        with urllib.request.urlopen(urllib.request.Request(trace, method="POST"), timeout=10) as resp:
            assert resp.status == 200

        # no reading lost outside the collector's outage: every station, every period
        with sqlite3.connect(data / "readings.sqlite3") as db:
            rows = db.execute("SELECT station, ts FROM readings ORDER BY station, ts").fetchall()
        gaps: dict[str, float] = {}
        for (station, a), (other, b) in zip(rows, rows[1:], strict=False):
            if station == other:
                gaps[station] = max(gaps.get(station, 0.0), b - a)
        assert gaps and max(gaps.values()) < 10  # a gap only around the outages, none open-ended
    finally:
        if driver is not None:
            driver.quit()
        app.send_signal(signal.SIGTERM)
        code = app.wait(30)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    time.sleep(1)
    assert app_processes(data) == []  # no orphan after a stop
