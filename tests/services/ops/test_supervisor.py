"""The supervisor with real child processes: restarts, stop, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.browser.helpers import wait_until

SLEEPER = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGHUP, lambda *a: print('hup', flush=True)); time.sleep(600)",
]
RUNNER = """
import sys
from pathlib import Path
from services.ops.supervisor import Component, Supervisor
sleeper = {sleeper!r}
components = [Component("a", sleeper), Component("b", sleeper, reloads_on_hup=True)]
sys.exit(Supervisor(components, Path({status!r}), backoff_s=0.2, stable_s=5).run())
"""


def status(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())["components"]
    except (FileNotFoundError, ValueError):
        return None


def running(path: Path) -> dict[str, int] | None:
    found = status(path)
    if not found or any(c["state"] != "running" for c in found.values()):
        return None
    return {name: c["pid"] for name, c in found.items()}


@pytest.fixture
def supervised(tmp_path):
    path = tmp_path / "supervisor.json"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER.format(sleeper=SLEEPER, status=str(path))],
                            cwd=Path(__file__).resolve().parents[3])  # fmt: skip
    yield proc, path
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_a_child_that_dies_is_restarted_and_counted(supervised):
    proc, path = supervised
    first = wait_until(lambda: running(path), 10, "both children")
    os.kill(first["a"], signal.SIGKILL)
    died = time.monotonic()
    second = wait_until(lambda: (r := running(path)) and r["a"] != first["a"] and r, 5, "a restart")
    assert time.monotonic() - died < 2.0  # the restart target
    assert second["b"] == first["b"]  # the other child was left alone
    found = status(path)
    assert found["a"]["restarts"] == 1 and found["a"]["last_exit"] == -signal.SIGKILL
    assert found["b"]["restarts"] == 0


def test_quick_deaths_back_off_longer_each_time(supervised):
    proc, path = supervised
    pids = wait_until(lambda: running(path), 10, "both children")
    gaps = []
    for _ in range(3):
        os.kill(pids["a"], signal.SIGKILL)
        died = time.monotonic()
        pids = wait_until(lambda old=pids["a"]: (r := running(path)) and r["a"] != old and r, 10, "a restart")
        gaps.append(time.monotonic() - died)
    assert gaps[0] < gaps[1] < gaps[2]  # 0.2 s, 0.4 s, 0.8 s


def test_sigterm_stops_every_child_and_exits_0_after_a_hup(supervised):
    proc, path = supervised
    pids = wait_until(lambda: running(path), 10, "both children")
    time.sleep(1.0)  # b's Python has set its HUP handler (a process just started would die of it)
    proc.send_signal(signal.SIGHUP)  # passed to b; the supervisor goes on
    time.sleep(0.5)
    assert proc.poll() is None and running(path) == pids
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert not [pid for pid in pids.values() if psutil.pid_exists(pid)]
    assert {c["state"] for c in status(path).values()} == {"stopped"}


def test_children_die_with_a_killed_supervisor(supervised):
    proc, path = supervised
    pids = wait_until(lambda: running(path), 10, "both children")
    proc.kill()
    proc.wait(10)
    wait_until(lambda: not [pid for pid in pids.values() if psutil.pid_exists(pid)], 5, "the children to die")
