"""The lab's engines, headless, against the real sensor service on loopback.

    python bench/engines.py [workers]

For N = 100 and 1,000, L = 100 ms, C = 0 and 20 ms: wall time, CPU time and the ratio to
the ideal per engine (engines the lab's limits refuse are shown as refused). Same run:
a raw aiohttp gather baseline (C = 0), and the process-pool dispatch cost of a no-op item
through the lab's ``run_processes`` against a bare ``ProcessPoolExecutor``; and the
asyncio engine again with its loop traced (the lab's option): its time against the
untraced run's, and what writing the Perfetto file costs after the clock.
Targets: asyncio ≤ 1.2× raw gather (C = 0); processes ≤ 1.3× N·C/cores (C = 20 ms);
the lab's dispatch overhead per item ≤ 1.5× the bare pool's. Process pools are started
and warmed before an engine's clock starts (the app keeps long-lived pools); gevent's
interpreter start and a Process per item's forks are counted. This machine is a shared
VM: expect run-to-run spread, and run nothing else meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from scripts.server import free_port  # noqa: E402
from services.core.errors import LabInputError
from services.lab.engines import identical_readings, run_engine, run_processes
from services.lab.workload import CORES, ENGINES, Item, Workload, reading_url, request_ceiling, served_stations
from services.sensors.process import SensorServiceProcess  # noqa: E402


def raw_gather(w: Workload) -> float:
    async def main() -> float:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

            async def one(i: int) -> bytes:
                async with session.get(reading_url(w, i)) as resp:
                    return await resp.read()

            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(w.n)))
            return time.perf_counter() - start

    return asyncio.run(main())


def noop_item(w: Workload, index: int) -> Item:
    return Item(index, 0, 0, os.getpid(), "", None)


def _noop(index: int) -> int:
    return index


def dispatch_costs(workers: int, n: int = 5000) -> tuple[float, float]:
    """µs per no-op item: the lab's run_processes, and a bare pool with done-callbacks."""
    w = Workload(n, 0, 0, workers, "", ("x",))
    got: list[Item] = []
    start = time.perf_counter()
    run_processes(w, got.append, work=noop_item)
    lab = (time.perf_counter() - start) / n * 1e6
    done: list[int] = []
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        for i in range(n):
            pool.submit(_noop, i).add_done_callback(lambda f: done.append(f.result()))
    bare = (time.perf_counter() - start) / n * 1e6
    assert len(got) == len(done) == n
    return lab, bare


def traced_asyncio(w: Workload, untraced_s: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "asyncio-loop-0.json"
        start = time.perf_counter()
        run = run_engine("asyncio", w, loop_trace=path)
        written = time.perf_counter() - start - run.wall_s
        size = path.stat().st_size
    loop = run.loop or {}
    return (
        f"  {'asyncio, traced':<18} {run.wall_s:7.2f} s  {run.wall_s / untraced_s:.2f}× untraced; "
        f"{loop.get('callbacks', 0):,} callbacks, file {size / 1e6:.1f} MB written in {written:.2f} s "
        f"after the clock"
    )


def main(workers: int) -> None:
    with SensorServiceProcess(port=free_port(), stations=16) as service:
        stations = served_stations(service.url)
        ceiling = request_ceiling(service.url, stations[0])
        print(f"cores {CORES}, workers {workers}, loopback request ceiling {ceiling:.0f} req/s")
        for n in (100, 1000):
            for cpu in (0, 20):
                w = Workload(n, 100, cpu, workers, service.url, stations).fixed()
                ideal = w.ideal_s(ceiling)
                print(f"\nN={n} L=100 ms C={cpu} ms  ideal {ideal:.2f} s  (N·C/cores {n * cpu / 1000 / CORES:.2f} s)")
                if cpu == 0:
                    raw = raw_gather(w)
                    print(f"  {'raw aiohttp gather':<18} {raw:7.2f} s")
                runs = []
                for engine in ENGINES:
                    try:
                        w.check([engine])
                    except LabInputError as err:
                        print(f"  {engine:<18} refused: {err.code} {err.params}")
                        continue
                    run = run_engine(engine, w)
                    runs.append(run)
                    extra = f"  {run.wall_s / raw:.2f}× raw gather" if cpu == 0 and engine == "asyncio" else ""
                    if cpu and engine == "processes":
                        extra = f"  {run.wall_s / (n * cpu / 1000 / CORES):.2f}× N·C/cores"
                    print(
                        f"  {engine:<18} {run.wall_s:7.2f} s  cpu {run.cpu_s:6.2f} s  "
                        f"{run.throughput:7.0f}/s  {run.wall_s / ideal:5.2f}× ideal{extra}"
                        f"{'  ERROR ' + run.error if run.error else ''}"
                    )
                    if engine == "asyncio":
                        print(traced_asyncio(w, run.wall_s))
                print(f"  identical readings across engines: {identical_readings(runs)}")
    lab, bare = dispatch_costs(workers=CORES)
    print(f"\nprocess-pool dispatch per no-op item: lab {lab:.0f} µs, bare pool {bare:.0f} µs → {lab / bare:.2f}×")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
