"""Every tab of one browser after losing the web worker that serves it.

`looplens run` with 2 web workers; one headless Chromium with 4 /live tabs (Dash keeps a
single WebSocket for all of them, in a SharedWorker). Then the worker serving them is
killed with SIGKILL (or the web master gets a HUP), and each tab is watched, in turn,
until its figure shows a reading newer than before. Prints the seconds until each tab
resumed. Target (issue 15): every tab within 6 s.

Usage: python bench/tabs.py [kill|hup] [rounds, default 3]
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.chrome import headless_chrome  # noqa: E402
from scripts.server import free_port  # noqa: E402
from tests.browser.helpers import SHOWN  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TABS = 4


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def one_round(mode: str) -> list[float]:
    data = tempfile.mkdtemp(prefix="looplens-tabs-")
    port = free_port()
    env = dict(os.environ, LOOPLENS_DATA_DIR=data, LOOPLENS_SENSOR_PORT=str(free_port()),
               LOOPLENS_TRACE_PORT=str(free_port()))  # fmt: skip
    command = [sys.executable, "-m", "looplens", "run", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    driver = None
    try:
        while not healthy(url):
            time.sleep(0.3)
        driver = headless_chrome(1280, 900)

        def latest() -> str:
            traces = driver.execute_script(SHOWN) or []
            return max((x for t in traces for x in t["x"] if x), default="")

        tabs = []
        for i in range(TABS):
            if i:
                driver.switch_to.new_window("tab")
            driver.get(f"{url}/live")
            tabs.append(driver.current_window_handle)
        time.sleep(6)
        before = {}
        for tab in tabs:
            driver.switch_to.window(tab)
            before[tab] = latest()
        web = json.loads(Path(data, "supervisor.json").read_text())["components"]["web"]["pid"]
        workers = psutil.Process(web).children()
        start = time.time()
        if mode == "hup":
            os.kill(web, signal.SIGHUP)
        else:
            for worker in [w for w in workers if any(c.status == "ESTABLISHED" for c in w.net_connections())]:
                worker.kill()
        resumed: dict[str, float] = {}
        while time.time() - start < 60 and len(resumed) < TABS:
            for tab in tabs:
                if tab not in resumed:
                    driver.switch_to.window(tab)
                    if latest() > before[tab]:
                        resumed[tab] = round(time.time() - start, 1)
            time.sleep(0.2)
        return sorted(resumed.values()) + [float("inf")] * (TABS - len(resumed))
    finally:
        if driver is not None:
            driver.quit()
        app.send_signal(signal.SIGTERM)
        app.wait(30)


def main(mode: str, rounds: int) -> None:
    worst = []
    for n in range(rounds):
        seconds = one_round(mode)
        worst.append(seconds[-1])
        print(f"{mode} round {n + 1}: tabs resumed after {seconds} s")
    print(f"{mode}: the last tab resumed after at most {max(worst)} s over {rounds} rounds (target ≤ 6 s)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "kill", int(sys.argv[2]) if len(sys.argv) > 2 else 3)
