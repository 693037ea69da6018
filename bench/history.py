"""Long history and the fleet: how fast history is seeded, how big the store gets, how fast
the pages open on it and what they cost while they stay open.

Sections (each a function returning rows of the table ``main`` prints; add one by adding
a function and naming it in ``SECTIONS``):

``fleet``: seeds N sensors × D days of readings every 60 s (synthetic, straight into the
store: the rollups' triggers run as for any write) and reports the seeding rate and the
store's size; serves the production app (gunicorn.conf.py, 1 worker, no embedded
collector) while ``scripts.fleet_feed.FleetFeed`` stores a reading of every sensor every
second; then in headless Chromium (1280 × 900): the first paint of /fleet (navigation →
the grid's first rows drawn, three fresh loads; and to the heat strip drawn), the bytes
the server sends the page per second over the run (counted on the wire by a loopback proxy
between browser and server: WebSocket frames as sent, compression included), the rows the
grid took, how often the page drew the grid's rows afresh (assets/fleet.js), and the JS
heap (``Runtime.getHeapUsage`` after a forced GC) at the start, every minute and at the
end.

``live`` (``bench/history_live.py``): seeds 50 sensors × 30 days twice (statistics kept by
the triggers, and rows alone then backfilled) for the build rates and the store's size, then
the first paint of Live at 24 h / 7 d / 30 d for all of them, with the statistics and without.

Usage: python bench/history.py [fleet] [live] [--sensors 2000] [--days 2] [--minutes 3] [--store DIR] [--cold]
       [--backfill]
       [--live-sensors 50] [--live-days 30]
Targets: first paint ≤ 1.5 s; push ≤ 20 KB/s with 2,000 sensors; heap flat over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history_live import live_section  # noqa: E402
from scripts.chrome import headless_chrome  # noqa: E402
from scripts.fleet_feed import FleetFeed, seed_history  # noqa: E402
from scripts.seed_history import seed  # noqa: E402
from scripts.server import free_port, gunicorn_env, gunicorn_served  # noqa: E402
from services.sensors.stations import Station, fleet  # noqa: E402

Row = tuple[str, str, str]  # (what, measured, target)
FIRST_PAINT_TARGET_S, PUSH_TARGET_KBS = 1.5, 20.0

# Runs in every document before its own scripts: the moment the grid first shows a row, and
# the moment the heat strip is drawn (it comes after the table: views.fleet.heat_graph).
PAINT_PROBE = """
(() => {
  const look = () => {
    if (!window.__fleetPaint && document.querySelector('#fleet-grid .ag-center-cols-container .ag-row')) {
      window.__fleetPaint = performance.now();
    }
    if (!window.__heatPaint && document.querySelector('#fleet-heat .heatmaplayer')) {
      window.__heatPaint = performance.now();
    }
    if (!window.__fleetPaint || !window.__heatPaint) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


# -- a byte-counting proxy between the browser and the server ---------------------------------


class CountingProxy:
    """Loopback TCP proxy on its own thread; ``down`` counts bytes server → browser."""

    def __init__(self, target_port: int) -> None:
        self.target_port, self.port, self.down = target_port, free_port(), 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> CountingProxy:
        self._thread.start()
        serve = asyncio.start_server(self._client, "127.0.0.1", self.port)
        self._server = asyncio.run_coroutine_threadsafe(serve, self._loop).result(5)
        return self

    def close(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, count: bool) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    if count:
                        self.down += len(data)
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))


# -- the server ---------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(data: Path, sensors: int) -> Iterator[int]:
    """The production app (1 worker, the collector's place taken by the feed); its port."""
    port = free_port()
    env = gunicorn_env(port, free_port(), 1, str(data), LOOPLENS_SENSOR_STATIONS=str(sensors),
                       LOOPLENS_EMBEDDED_COLLECTOR="false")  # fmt: skip
    with gunicorn_served(env, f"http://127.0.0.1:{port}/readyz"):
        yield port


# -- the browser --------------------------------------------------------------------------------


def first_paint(driver, url: str) -> tuple[float, float]:
    """Seconds from navigation to the grid's first row drawn, and to the heat strip drawn,
    in a fresh load of ``url``."""
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + 30
    while None in (paints := driver.execute_script("return [window.__fleetPaint || null, window.__heatPaint || null]")):
        assert time.monotonic() < deadline, f"the grid or the heat strip was not drawn ({paints}, ms)"
        time.sleep(0.05)
    return paints[0] / 1000, paints[1] / 1000


def heap_mb(driver) -> float:
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    return driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"] / 1e6


def grid_redraws(driver) -> str:
    """How often the page drew the grid's rows afresh, and put it off (assets/fleet.js)."""
    tidied = driver.execute_script("return window.looplensFleetTidied || null") or {}
    return f"{tidied.get('redraws', 0)} times, {tidied.get('deferred', 0)} put off"


def grid_rows(driver) -> int:
    """Rows the grid has taken from pushes since the page loaded (the page counts them)."""
    return int(driver.execute_script("return window.looplensFleetApplied || 0"))


# -- the fleet section --------------------------------------------------------------------------


def fleet_section(args: argparse.Namespace) -> list[Row]:
    data = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="looplens-history-"))
    stations = fleet(args.sensors)
    done = data / f"seeded-{args.sensors}x{args.days:g}d"  # a store kept with --store is seeded once
    if done.exists():
        age_min = (time.time() - done.stat().st_mtime) / 60  # its last hours have only what feeds added since
        out: list[Row] = [(f"store seeded {age_min:.0f} min ago ({done.name}), kept in", str(data), "")]
    else:
        if (data / "readings.sqlite3").exists():
            other = ", ".join(p.name for p in data.glob("seeded-*")) or "a seed that did not finish"
            raise SystemExit(f"{data} holds another store ({other}): remove it, or name another folder")
        data.mkdir(parents=True, exist_ok=True)
        out = seed_rows(data, stations, args)
        done.touch()
    size_mb = sum(p.stat().st_size for p in data.glob("readings.sqlite3*")) / 1e6
    out.append(("store on disk", f"{size_mb:,.0f} MB ({size_mb / args.days:,.0f} MB/day)", ""))
    with serve(data, args.sensors) as port, FleetFeed(data / "readings.sqlite3", stations) as feed:
        proxy = CountingProxy(port).start()
        driver = headless_chrome(1280, 900)
        try:
            if args.cold:
                evict(data)
            out += browse(driver, f"http://127.0.0.1:{proxy.port}/fleet", proxy, args.minutes, feed, args.cold)
        finally:
            driver.quit()
            proxy.close()
    return out


def browse(driver, url: str, proxy: CountingProxy, minutes: float, feed: FleetFeed, cold: bool = False) -> list[Row]:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAINT_PROBE})
    paints = [first_paint(driver, url) for _ in range(3)]
    time.sleep(5)  # settled: the first rebuild and its catch-up are behind
    heaps = [heap_mb(driver)]
    rows0, bytes0, rounds0, t0 = grid_rows(driver), proxy.down, feed.rounds, time.monotonic()
    per_minute: list[float] = []
    while (elapsed := time.monotonic() - t0) < minutes * 60:
        time.sleep(min(60.0, minutes * 60 - elapsed))
        per_minute.append((proxy.down - bytes0) / (time.monotonic() - t0) / 1000)
        heaps.append(heap_mb(driver))
    seconds = time.monotonic() - t0
    kbs = (proxy.down - bytes0) / seconds / 1000
    loads = "3 loads, the 1st with the store cold" if cold else "3 loads"
    grids = " / ".join(f"{g:.2f} s" for g, _ in paints)
    return [
        (f"first paint of /fleet ({loads})", grids, f"≤ {FIRST_PAINT_TARGET_S} s"),
        ("  the heat strip drawn, same loads", " / ".join(f"{h:.2f} s" for _, h in paints), ""),
        (f"pushed, {seconds:.0f} s with every sensor updating", f"{kbs:.1f} KB/s", f"≤ {PUSH_TARGET_KBS:g} KB/s"),
        ("  per minute", " ".join(f"{k:.1f}" for k in per_minute) + " KB/s", ""),
        ("rows the grid took", f"{(grid_rows(driver) - rows0) / seconds:.0f} rows/s", ""),
        ("grid rows drawn afresh (since the last load)", grid_redraws(driver), ""),
        ("readings stored meanwhile", f"{(feed.rounds - rounds0) * len(feed.stations) / seconds:,.0f} /s", ""),
        ("JS heap after GC, start → each minute", " → ".join(f"{h:.1f}" for h in heaps) + " MB", "flat"),
        ("  change over the run", f"{heaps[-1] - heaps[0]:+.1f} MB ({statistics.mean(heaps):.1f} MB mean)", ""),
    ]


_EVICT = """
import os, sys
for path in sys.argv[1:]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        continue  # no WAL while no one has the store open
    os.fsync(fd)  # written pages first: only clean ones can leave the cache
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
"""


def evict(data: Path) -> None:
    """Put the store's file out of the system's file cache, as for a store not read since a
    reboot or larger than memory; the rest (browser, Python, the app's assets) stays warm.

    In a process of its own: closing any descriptor of a SQLite file drops every POSIX lock
    this process holds on it, the feed's included, and the server then read a half-written
    store ("database disk image is malformed"). Not the -shm file: SQLite maps it, and putting
    it out crashed the process (SIGBUS)."""
    paths = [str(data / "readings.sqlite3"), str(data / "readings.sqlite3-wal")]
    subprocess.run([sys.executable, "-c", _EVICT, *paths], check=True)


def seed_rows(data: Path, stations: Sequence[Station], args: argparse.Namespace) -> list[Row]:
    started = time.monotonic()
    if args.backfill:  # rows alone, then the statistics made by the store's backfill, as on upgrade
        keys, now = [s.id for s in stations], time.time()
        rows, _ = seed(data / "readings.sqlite3", keys, now - args.days * 86_400, now, statistics=False)
    else:
        rows = seed_history(data / "readings.sqlite3", stations, args.days)
    seeded_s = time.monotonic() - started
    how = "rows, then the backfill" if args.backfill else "rollups kept by triggers"
    return [
        (f"seed {args.sensors} sensors × {args.days:g} d at 60 s", f"{rows:,} rows in {seeded_s:.0f} s", ""),
        (f"seeding rate ({how})", f"{rows / seeded_s:,.0f} rows/s", ""),
        ("  → 30 days would take", f"{30 * 86_400 / 60 * args.sensors / (rows / seeded_s) / 60:.0f} min", ""),
    ]


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {"fleet": fleet_section, "live": live_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="section", help=f"of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--sensors", type=int, default=2000)
    parser.add_argument("--days", type=float, default=2.0, help="history to seed (the issue: 30)")
    parser.add_argument("--store", help="fleet: seed the store into this folder and keep it; a later run reuses it")
    parser.add_argument("--backfill", action="store_true", help="fleet: seed rows alone, then backfill the statistics")
    parser.add_argument("--cold", action="store_true", help="fleet: the store's files out of the file cache at first")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long /fleet stays open (the issue: 10)")
    parser.add_argument("--live-sensors", type=int, default=50, help="sensors on the Live page")
    parser.add_argument("--live-days", type=float, default=30.0, help="history to seed for the Live page")
    args = parser.parse_args()
    table: list[Row] = []
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"no section {', '.join(sorted(unknown))}: the sections are {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        table += [(f"[{name}]", "", ""), *SECTIONS[name](args)]
    width = max(len(r[0]) for r in table)
    for what, measured, target in table:
        print(f"{what:<{width}}  {measured:<40} {target}")


if __name__ == "__main__":
    main()
