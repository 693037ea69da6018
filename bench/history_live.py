"""Long history on Live: seed N sensors × D days (a reading every 60 s, synthetic), then in
one run measure

- the statistics' build rate: rows/s written with the triggers on (statistics kept as rows
  arrive) and off (rows alone, then the store's backfill in SQL), on two stores;
- the store's size on disk, and how much of it the statistics take;
- first paint of Live at 24 h / 7 d / 30 d for all N sensors — from navigation to the
  figure drawn with its bands, in headless Chromium, the production server (gunicorn) —
  with the statistics, and with them off (``LOOPLENS_LIVE_ROLLUPS=false``: the same
  buckets computed from the raw rows), the median of ``REPEATS``.

The ``live`` section of ``bench/history.py`` (``--live-sensors``, ``--live-days``: 50 × 30 by
default). Target: each first paint with the statistics ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.chrome import headless_chrome  # noqa: E402
from scripts.seed_history import seed  # noqa: E402
from scripts.server import free_port, gunicorn_env, gunicorn_served  # noqa: E402
from services.live.history import Presence, history_snapshot, plan  # noqa: E402
from services.live.session import groups  # noqa: E402
from services.live.store import ReadingStore  # noqa: E402
from services.live.view import LiveView  # noqa: E402
from services.sensors.stations import fleet  # noqa: E402
from views.live_history import make_history_figure  # noqa: E402

RANGES = ("24h", "7d", "30d")
REPEATS = 3
# Runs in the page from its first byte: when the Live figure first shows its ``__bands`` band traces
# (a station's, or a colour's past ``LINE_GROUPS`` stations, per metric).
PROBE = """
window.__painted = null;
const probe = setInterval(() => {
    const gd = document.querySelector('#live-graph .js-plotly-plot');
    const bands = gd && gd.data ? gd.data.filter(t => t.fill === 'toself').length : 0;
    if (bands && bands === window.__bands && document.querySelector('#live-graph .fills path')) {
        window.__painted = performance.now();
        clearInterval(probe);
    }
}, 5);
"""


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def build(folder: Path, stations: list[str], days: float, now: float) -> dict[str, float]:
    """Seed two stores, triggers on and off; rows/s of each and the first store's size."""
    out: dict[str, float] = {}
    for name, on in (("on", True), ("off", False)):
        path = folder / name / "readings.sqlite3"
        path.parent.mkdir(parents=True)
        rows, took = seed(path, stations, now - days * 86_400, now, 60, statistics=on)
        out[f"rows_{name}"], out[f"rate_{name}"] = rows, rows / took
        print(f"  triggers {name}: {rows:,} rows in {took:.1f} s", flush=True)
    path = folder / "on" / "readings.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        out["buckets"] = db.execute("SELECT COUNT(*) FROM rollups").fetchone()[0]
        pages = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    out["size_mb"] = size_mb(path)
    out["rollups_mb"] = pages.get("rollups", 0) / 1e6
    return out


@contextmanager
def serve(data: Path, count: int, rollups: bool) -> Iterator[str]:
    """The production server (1 worker) over ``data``, its collector keeping every raw row."""
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(
        port,
        sensor_port,
        1,
        str(data),
        LOOPLENS_SENSOR_STATIONS=str(count),
        LOOPLENS_COLLECTOR_PERIOD_S="60",
        LOOPLENS_RETENTION_HOURS=str(24 * 400),  # the raw baseline needs its rows
        LOOPLENS_LOG_LEVEL="warning",
        LOOPLENS_LIVE_ROLLUPS="true" if rollups else "false",
    )
    url = f"http://127.0.0.1:{port}"
    with gunicorn_served(env, f"{url}/readyz"):
        yield url


def first_paints(url: str, stations: list[str]) -> dict[str, float]:
    """Median ms from navigation to the figure drawn, per range."""
    driver = headless_chrome(1280, 900)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": f"window.__bands = {2 * groups(len(stations))};"}
    )
    out = {}
    try:
        driver.get(f"{url}/live")  # warm: the bundles in the cache, the worker's imports done
        time.sleep(2)
        for key in RANGES:
            times = []
            for _ in range(REPEATS + 1):
                driver.get("about:blank")
                driver.get(f"{url}/live?range={key}&stations={','.join(stations)}")
                deadline = time.monotonic() + 60
                while (painted := driver.execute_script("return window.__painted")) is None:
                    assert time.monotonic() < deadline, f"{key}: never drawn"
                    time.sleep(0.02)
                times.append(painted)
            out[key] = statistics.median(times[1:])  # the first one warms this range's path
    finally:
        driver.quit()
    return out


def builds(path: Path, stations: list[str], now: float) -> dict[tuple[str, bool], float]:
    """In-process, no browser: ms to read a range's buckets and build its figure's JSON, with
    the statistics and from the raw rows (median of ``REPEATS``)."""
    out = {}
    with ReadingStore(path) as store:
        for key in RANGES:
            view = LiveView(tuple(stations), key)
            p = plan(view, now, now, 400 * 86_400)
            for raw in (False, True):
                times = []
                for _ in range(REPEATS):
                    began = time.perf_counter()
                    snap = history_snapshot(store, view, p, Presence(now, {}), raw=raw)
                    json.dumps(make_history_figure(snap, {}))
                    times.append((time.perf_counter() - began) * 1000)
                out[(key, raw)] = statistics.median(times)
    return out


def live_section(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """``bench/history.py``'s ``live`` section: the rows of its table."""
    count, days = args.live_sensors, args.live_days
    stations = [s.id for s in fleet(count)]
    folder = Path(tempfile.mkdtemp(prefix="looplens-history-"))
    print(f"seeding {count} sensors × {days:g} days, a reading every 60 s, into {folder}", flush=True)
    built = build(folder, stations, days, time.time())
    data = folder / "on"
    built_ms = builds(data / "readings.sqlite3", stations, time.time())
    paints = {}
    for rollups in (True, False):
        with serve(data, count, rollups) as url:
            paints[rollups] = first_paints(url, stations)
    out = [
        (f"seed {count} sensors × {days:g} d at 60 s", f"{built['rows_on']:,.0f} rows", ""),
        ("build rate, statistics on / off", f"{built['rate_on']:,.0f} / {built['rate_off']:,.0f} rows/s",
         "off: rows, then backfill"),
        ("store on disk", f"{built['size_mb']:.1f} MB", f"statistics {built['rollups_mb']:.1f} MB, "
         f"{built['buckets']:,.0f} buckets"),
    ]  # fmt: skip
    for key in RANGES:
        on, off = built_ms[(key, False)], built_ms[(key, True)]
        out.append((f"server build {key}: read + figure, on / off", f"{on:.0f} / {off:.0f} ms", f"×{off / on:.1f}"))
    for key in RANGES:
        on, off = paints[True][key], paints[False][key]
        out.append((f"first paint Live {key}, {count} sensors, on / off", f"{on / 1000:.2f} / {off / 1000:.2f} s",
                    f"≤ 1.5 s ({'met' if on <= 1500 else 'missed'}); ×{off / on:.1f}"))  # fmt: skip
    out.append(("load average during the run", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", ""))
    return out
