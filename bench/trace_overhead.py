"""What tracing costs: 100,000 tasks × 3 awaits on a fresh loop, untraced vs traced by
looplens' LoopTracer, interleaved (untraced, traced, untraced, …) so drift hits both
alike; then the same workload under VizTracer (``log_async=True``) for comparison.
Prints each run's median and the overhead three ways: of the medians, the median of each
round's own ratio (drift between rounds affects it least), and of the fastest runs (noise
from other work on the machine only ever adds time, so the minimum is the cleanest).
Target: ≤ 10 % overhead, ≥ 10× cheaper than VizTracer's. The C hot path is measured when
it is built; ``--python`` measures the Python one.

``--instructions`` counts instructions instead, with valgrind's callgrind (the same count
every run, whatever else the machine does): each mode with N tasks minus the same mode
with none, so start-up and the tracer's preallocation are left out. This is the figure of
record, with the agent's records on: ≤ +5 % instructions, ≥ 40× fewer than VizTracer adds.

Usage: python bench/trace_overhead.py [tasks, default 100000] [rounds, default 5] [--python]
       python bench/trace_overhead.py --instructions [tasks, default 20000] [--python]
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.tracing.tracer import LoopTracer, c_hot_path_built  # noqa: E402

AWAITS = 3


async def job() -> None:
    for _ in range(AWAITS):
        await asyncio.sleep(0)


async def workload(tasks: int) -> None:
    await asyncio.gather(*(job() for _ in range(tasks)))


def timed(tasks: int, mode: str, native: bool = True) -> float:
    loop = asyncio.new_event_loop()
    try:
        if mode == "looplens":
            tracer = LoopTracer(loop, lag_interval_s=0, native=native).attach()
        start = time.perf_counter()
        if mode == "viztracer":
            from viztracer import VizTracer

            viz = VizTracer(log_async=True, tracer_entries=2_000_000, verbose=0)
            viz.start()
            loop.run_until_complete(workload(tasks))
            elapsed = time.perf_counter() - start
            viz.stop()  # and nothing saved: writing its file is not part of what tracing costs
            return elapsed
        loop.run_until_complete(workload(tasks))
        elapsed = time.perf_counter() - start
        if mode == "looplens":
            stats = tracer.statistics()
            tracer.detach()
            assert stats.recorded >= tasks * (AWAITS + 1), stats  # every step was recorded
        return elapsed
    finally:
        loop.close()


def instructions(mode: str, tasks: int, native: bool) -> int:
    """Instructions callgrind counts for one ``timed(tasks, mode)`` in a fresh interpreter."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--one",
        mode,
        str(tasks),
    ] + ([] if native else ["--python"])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def count_instructions(tasks: int, native: bool) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    work = {
        mode: instructions(mode, tasks, native) - instructions(mode, 0, native)
        for mode in ("plain", "looplens", "viztracer")
    }
    p, t, v = work["plain"], work["looplens"], work["viztracer"]
    print(f"{tasks:,} tasks × {AWAITS} awaits, instructions (callgrind), start-up subtracted")
    print(f"untraced   {p / tasks:10,.0f} per task")
    print(f"looplens   {t / tasks:10,.0f} per task  overhead {100 * (t / p - 1):+.1f} %  (target ≤ 5 %)")
    print(f"VizTracer  {v / tasks:10,.0f} per task  overhead {100 * (v / p - 1):+.1f} %")
    print(f"looplens's overhead is {(v - p) / max(t - p, 1):.1f}× smaller than VizTracer's (target ≥ 40×)")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    native = "--python" not in sys.argv
    if "--one" in sys.argv:  # one measured run, for --instructions
        timed(int(args[1]), args[0], native)
        return
    if "--instructions" in sys.argv:
        count_instructions(int(args[0]) if args else 20_000, native)
        return
    tasks = int(args[0]) if args else 100_000
    rounds = int(args[1]) if len(args) > 1 else 5
    timed(tasks // 10, "plain")  # warm up
    plain, traced = [], []
    for _ in range(rounds):
        plain.append(timed(tasks, "plain"))
        traced.append(timed(tasks, "looplens", native))
    viz = [timed(tasks, "viztracer") for _ in range(max(1, rounds // 2))]
    p, t, v = statistics.median(plain), statistics.median(traced), statistics.median(viz)
    paired = statistics.median(b / a for a, b in zip(plain, traced, strict=True))
    path = "C" if native and c_hot_path_built() else "Python"
    print(f"{tasks:,} tasks × {AWAITS} awaits, {rounds} interleaved rounds (median); looplens hot path: {path}")
    print(f"untraced   {p * 1000:8.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in plain)})")
    print(
        f"looplens   {t * 1000:8.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in traced)})  "
        f"overhead {100 * (t / p - 1):+.1f} %, per round {100 * (paired - 1):+.1f} %, "
        f"fastest {100 * (min(traced) / min(plain) - 1):+.1f} %  (target ≤ 10 %)"
    )
    print(
        f"VizTracer  {v * 1000:8.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in viz)})  "
        f"overhead {100 * (v / p - 1):+.1f} %"
    )
    print(f"looplens's overhead is {(v - p) / max(t - p, 1e-9):.1f}× smaller than VizTracer's (target ≥ 10×)")


if __name__ == "__main__":
    main()
