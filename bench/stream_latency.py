"""Push latency of the Live page: reading stored → point drawn in the browser.

Starts the production server (gunicorn.conf.py as the Dockerfile runs it, 2 workers,
embedded sensor service and collector) with 50 stations polled every 5 s, staggered:
10 readings per second. Headless Chromium opens Live with all 50 stations. In the page,
a WebSocket wrapper counts bytes per received message and a ``plotly_afterplot`` hook
records when each new point is drawn. For every reading the collector stored during the
run, latency = drawn (Date.now) − stored (the row's stored_ms); same machine, same clock.

Runs: one tab; five tabs (one browser, five windows); one tab with the CPU throttled 6×.
Prints p50/p95/p99 latency, readings lost and duplicated, bytes per update, server CPU,
JS heap and server RSS at start and end.
Usage: python bench/stream_latency.py [seconds per run, default 60]
"""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from scripts.chrome import headless_chrome  # noqa: E402
from scripts.server import GUNICORN, free_port, gunicorn_env  # noqa: E402
from services.live import x_value  # noqa: E402
from services.stations import fleet  # noqa: E402
from services.store import ReadingStore  # noqa: E402

STATIONS = [s.id for s in fleet(50)]

# Runs in the page before Dash: count WebSocket bytes, and time every newly drawn point.
PROBE = """
window.__ws = {messages: 0, bytes: 0, sizes: []};
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('message', (e) => {
    window.__ws.messages += 1; window.__ws.bytes += e.data.length;
    if (window.__ws.sizes.length < 100000) window.__ws.sizes.push(e.data.length);
  });
  return ws;
};
window.WebSocket.prototype = Native.prototype;
window.__drawn = [];
window.__seen = new Set();
(function hook() {
  const gd = document.querySelector('#live-graph .js-plotly-plot');
  if (!gd || !gd.on || !gd.data || !gd.data.length) { setTimeout(hook, 50); return; }
  gd.on('plotly_afterplot', () => {
    const now = Date.now();
    const stations = (gd.data.length - 4) / 4;
    for (let p = 0; p < stations; p++) {
      for (const i of [4 * p, 4 * p + 1]) {
        const xs = gd.data[i].x || [];
        for (const x of xs) {
          const key = p + '|' + x;
          if (!window.__seen.has(key)) { window.__seen.add(key); window.__drawn.push([p, x, now]); }
        }
      }
    }
  });
})();
"""


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def tree(proc: subprocess.Popen) -> list[psutil.Process]:
    root = psutil.Process(proc.pid)
    return [root, *root.children(recursive=True)]


def cpu_s(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_mb(procs: list[psutil.Process]) -> float:
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def open_live(driver, url: str, throttle: float = 1.0) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    if throttle > 1:
        driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": throttle})
    driver.get(url)
    deadline = time.monotonic() + 30
    while not driver.find_elements("css selector", "a[href='/live']"):
        assert time.monotonic() < deadline, "home page did not load"
        time.sleep(0.1)
    driver.find_element("css selector", "a[href='/live']").click()
    deadline = time.monotonic() + 60
    while driver.execute_script("return window.__drawn.length") < len(STATIONS):
        assert time.monotonic() < deadline, "the Live page never drew its stations"
        time.sleep(0.2)


def heap_mb(driver) -> float:
    return driver.execute_script("return performance.memory.usedJSHeapSize") / 2**20


def run(url: str, store_path: Path, proc: subprocess.Popen, label: str, seconds: float,
        tabs: int = 1, throttle: float = 1.0) -> None:
    driver = headless_chrome(1280, 900)
    handles = []
    try:
        for i in range(tabs):
            if i:
                driver.switch_to.new_window("tab")
            open_live(driver, url, throttle)
            handles.append(driver.current_window_handle)
        time.sleep(3)  # past the first full figure
        with ReadingStore(store_path) as store:
            start_id = store.max_id()
        start_heap = heap_mb(driver)
        procs = tree(proc)
        cpu0, rss0, t0 = cpu_s(procs), rss_mb(procs), time.monotonic()
        ws0 = {h: _ws(driver, h) for h in handles}
        time.sleep(seconds)
        with ReadingStore(store_path) as store:
            end_id = store.max_id()
        time.sleep(2)  # let the last readings arrive
        cpu = (cpu_s(procs) - cpu0) / (time.monotonic() - t0) * 100
        rss1 = rss_mb(procs)
        end_heap = heap_mb(driver)
        with ReadingStore(store_path) as store:
            rows = [r for r in store.since(start_id, STATIONS) if r.id <= end_id]
        expected = {(STATIONS.index(r.station), x_value(r.ts)): r.stored_ms for r in rows}
        for n, handle in enumerate(handles, 1):
            driver.switch_to.window(handle)
            drawn = driver.execute_script("return window.__drawn")
            ws1 = _ws(driver, handle)
            seen = {(position, x): at for position, x, at in drawn}
            duplicated = _duplicates(driver.execute_script(SHOWN))
            lat = [seen[k] - ms for k, ms in expected.items() if k in seen]
            lost = sum(1 for k in expected if k not in seen)
            sizes = ws1["sizes"][len(ws0[handle]["sizes"]):]
            first_half = lat[: len(lat) // 2]
            second_half = lat[len(lat) // 2:]
            print(f"{label} tab {n}: readings {len(expected)}  p50 {pct(lat, 50):.0f} ms  "
                  f"p95 {pct(lat, 95):.0f} ms  p99 {pct(lat, 99):.0f} ms  "
                  f"(1st half p99 {pct(first_half, 99):.0f}, 2nd half p99 {pct(second_half, 99):.0f})  "
                  f"lost {lost}  duplicated {duplicated}")
            if sizes:
                print(f"{label} tab {n}: updates {len(sizes)}  bytes/update p50 {pct(sizes, 50):.0f}  "
                      f"p95 {pct(sizes, 95):.0f}  max {max(sizes)}")
            else:  # Dash 4 opens the socket in a SharedWorker, out of the page's reach
                print(f"{label} tab {n}: bytes/update not measured (socket in Dash's SharedWorker)")
        print(f"{label}: server CPU {cpu:.1f} % of one core  RSS {rss0:.0f} → {rss1:.0f} MB  "
              f"JS heap {start_heap:.1f} → {end_heap:.1f} MB")
    finally:
        driver.quit()


SHOWN = """const gd = document.querySelector('#live-graph .js-plotly-plot');
return gd.data.map(t => t.x || []);"""


def _duplicates(traces: list[list[str]]) -> int:
    """Points shown twice for one station and metric (the one bridge point where a reused
    chunk starts at the other chunk's last point is by design, not a duplicate)."""
    dup = 0
    for i in range(0, len(traces) - 4, 2):
        a, b = traces[i], traces[i + 1]
        both = a + b
        dup += len(both) - len(set(both))
        if a and b and (a[-1] == b[0] or b[-1] == a[0]):
            dup -= 1
    return dup


def _ws(driver, handle) -> dict:
    driver.switch_to.window(handle)
    return driver.execute_script("return {bytes: window.__ws.bytes, sizes: window.__ws.sizes.slice()}")


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    data = Path(tempfile.mkdtemp(prefix="looplens-bench-"))
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, 2, str(data), LOOPLENS_SENSOR_STATIONS="50",
                       LOOPLENS_COLLECTOR_PERIOD_S="5", LOOPLENS_LOG_LEVEL="warning",
                       LOOPLENS_LIVE_DEFAULT_STATIONS=json.dumps(STATIONS))
    proc = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        print(f"50 stations, every 5 s, staggered: 10 readings/s; {seconds:g} s per run; 2 workers")
        store_path = data / "readings.sqlite3"
        run(url, store_path, proc, "1 tab", seconds)
        run(url, store_path, proc, "5 tabs", seconds, tabs=5)
        run(url, store_path, proc, "throttled 6x", seconds, throttle=6)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


if __name__ == "__main__":
    main()
