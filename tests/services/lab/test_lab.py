"""The lab's engines against the real sensor service on loopback, real pools and processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import time

import psutil
import pytest

from services.core.errors import LabInputError
from services.lab.engines import identical_readings, run_engine
from services.lab.lanes import swimlanes
from services.lab.loop_trace import LOOP_TRACES_KEPT
from services.lab.run import kill_run, run_lab
from services.lab.workload import ENGINES, MAX_PER_ITEM, Item, Workload, served_stations


def test_every_engine_returns_the_same_readings_and_their_own_workers(sensor):
    w = Workload(12, 30, 2, 3, sensor.url, served_stations(sensor.url)).fixed()
    runs = {engine: run_engine(engine, w) for engine in ENGINES}
    for engine, run in runs.items():
        assert not run.error, (engine, run.error)
        assert [item.index for item in run.items] == list(range(12)), engine
        assert all(item.reading and not item.error for item in run.items), engine
        assert run.items[0].reading[1] == w.at  # the fixed second, not "now"
    assert identical_readings(list(runs.values()))
    me = os.getpid()
    assert {item.pid for item in runs["sequential"].items} == {me}
    assert len({item.thread for item in runs["threads"].items}) > 1
    assert me not in {item.pid for item in runs["processes"].items}
    assert len({item.pid for item in runs["process_per_item"].items}) == 12  # one process each
    assert me not in {item.pid for item in runs["gevent"].items}  # patch_all stayed out of here
    assert not any("gevent" in name for name in __import__("sys").modules)


def test_overlapping_items_are_spread_over_slots_and_the_clock_is_shared(sensor):
    w = Workload(20, 200, 0, 2, sensor.url, served_stations(sensor.url)).fixed()
    run = run_engine("asyncio", w)
    lanes = swimlanes("asyncio", run.items, min(i.start_ns for i in run.items))
    assert len(lanes) > 5  # 20 requests in flight at once do not share one lane
    for lane in lanes:
        bars = [(lane.x[k], lane.x[k + 1]) for k in range(0, len(lane.x), 3)]
        assert all(end <= start for (_, end), (start, _) in zip(bars, bars[1:], strict=False))  # no overlap on a lane
    assert run.wall_s < 20 * 0.2 / 2  # they really overlapped


def test_a_runs_progress_only_moves_forward(sensor):
    w = Workload(6, 20, 0, 2, sensor.url, served_stations(sensor.url))
    seen: list[tuple[int, str | None]] = []  # (engines done, engine running)
    engines = ["threads", "asyncio", "processes"]
    run_lab(w, engines, lambda r: seen.append((len(r.runs), r.running and r.running.engine)))
    steps = list(dict.fromkeys(seen))  # each step once, in order
    assert steps == [(0, "threads"), (1, "asyncio"), (2, "processes"), (3, None)]  # never "nothing running" mid-run
    assert seen == sorted(seen, key=lambda step: step[0])


def test_a_run_reports_progress_and_watches_the_collector(sensor):
    w = Workload(8, 300, 0, 2, sensor.url, served_stations(sensor.url))  # over a second: several heartbeat samples
    seen: list[str | None] = []
    beats = iter(range(1000))
    result = run_lab(
        w,
        ["threads", "asyncio"],
        lambda r: seen.append(r.running.engine if r.running else None),
        heartbeat=lambda: float(next(beats)),
        every_s=0.0,
    )
    data = result.as_dict()
    assert [r["engine"] for r in data["rows"]] == ["threads", "asyncio"]
    assert "threads" in seen and "asyncio" in seen
    assert data["identical"] is True and data["lanes"]
    assert data["collector_gap_s"] == 1.0


@pytest.mark.parametrize(
    "changes, engines, code",
    [
        ({"n": 0}, ["threads"], "lab.err.n_range"),
        ({"n": 2001}, ["threads"], "lab.err.n_range"),
        ({"cpu_ms": 201}, ["threads"], "lab.err.cpu_range"),
        ({"latency_ms": -1}, ["threads"], "lab.err.latency_range"),
        ({"workers": 65}, ["threads"], "lab.err.workers_range"),
        ({"n": MAX_PER_ITEM + 1}, ["process_per_item"], "lab.err.per_item_cap"),
        ({"n": 1000, "latency_ms": 100}, ["sequential"], "lab.err.too_slow"),
        ({}, [], "lab.err.no_engine"),
        ({}, ["fibers"], "lab.err.unknown_engine"),
    ],
)
def test_limits_are_refused_with_a_reason(changes, engines, code):
    base = {"n": 10, "latency_ms": 10, "cpu_ms": 0, "workers": 2}
    w = Workload(**{**base, **changes}, sensor_url="http://127.0.0.1:9", stations=("x",))
    with pytest.raises(LabInputError) as err:
        w.check(engines)
    assert err.value.code == code


def _run_forever(url: str, ids: tuple[str, ...], pids: multiprocessing.Queue) -> None:
    from services.lab.run import become_run_leader

    become_run_leader()
    w = Workload(400, 1000, 0, 4, url, ids).fixed()
    run_engine("processes", w, lambda item: None)


def test_killing_a_run_leaves_no_worker_behind(sensor):
    ids = served_stations(sensor.url)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    run = multiprocessing.get_context("fork").Process(target=_run_forever, args=(sensor.url, ids, queue))
    run.start()
    deadline = time.monotonic() + 10
    workers: list[psutil.Process] = []
    while len(workers) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = psutil.Process(run.pid).children(recursive=True)
    assert len(workers) >= 4, "the run's pool did not start"
    kill_run(run.pid)
    run.join(5)
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"orphans left: {[p.pid for p in alive]}"
    assert run.exitcode is not None


def test_identical_readings_notices_a_difference():
    a = [Item(0, 0, 1, 1, "", ("beijing", 1, 20.0, 50.0))]
    b = [Item(0, 0, 1, 2, "", ("beijing", 1, 20.5, 50.0))]
    from services.lab.workload import EngineRun

    assert identical_readings([EngineRun("x", items=a), EngineRun("y", items=list(a))])
    assert not identical_readings([EngineRun("x", items=a), EngineRun("y", items=b)])


def _hold_the_lock(path) -> None:
    from services.lab.run import become_run_leader, run_lock

    become_run_leader()
    with run_lock(path) as mine:
        assert mine
        time.sleep(60)


def test_cancel_kills_only_the_run_that_holds_the_lock(tmp_path):
    from services.lab.run import run_lock, stop_run

    path = tmp_path / "lab.lock"
    assert not stop_run(path, os.getpid())  # no run at all
    holder = multiprocessing.get_context("fork").Process(target=_hold_the_lock, args=(path,))
    holder.start()
    deadline = time.monotonic() + 5
    while (not path.exists() or not path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    with run_lock(path) as mine:
        assert not mine  # one run per server
    assert not stop_run(path, os.getpid())  # a pid from a page that is not the run: refused
    assert holder.is_alive()
    assert stop_run(path, holder.pid)
    holder.join(5)
    assert holder.exitcode == -9


def test_a_traced_asyncio_run_writes_its_loop_for_perfetto_and_keeps_the_newest(sensor, tmp_path):
    for k in range(LOOP_TRACES_KEPT):  # earlier runs' traces
        old = tmp_path / f"asyncio-loop-0-{k}.json"
        old.write_text("{}")
        os.utime(old, (1_000_000 + k, 1_000_000 + k))
    dead = tmp_path / "asyncio-loop-0-9.partial"  # a writer that died an hour ago
    dead.write_text("{")
    os.utime(dead, (time.time() - 3600,) * 2)
    writing = tmp_path / "asyncio-loop-0-8.partial"  # another worker, writing now
    writing.write_text("{")
    w = Workload(30, 50, 0, 2, sensor.url, served_stations(sensor.url)).fixed()
    path = tmp_path / "asyncio-loop-1.json"
    run = run_engine("asyncio", w, loop_trace=path)
    assert not run.error and len(run.items) == 30
    assert run.loop["file"] == path.name and run.loop["dropped"] == 0
    assert run.loop["tasks"] >= 30 and run.loop["callbacks"] >= 2 * 30  # each fetch steps more than once
    assert 0 < run.loop["longest_ms"] < run.wall_s * 1000
    events = json.loads(path.read_text())["traceEvents"]
    tracks = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {f"fetch {i} · _fan_out.<locals>.one" for i in range(30)} <= tracks
    spans = [e for e in events if e["ph"] == "X"]
    assert len(spans) == run.loop["callbacks"] and all(e["dur"] >= 0 for e in spans)
    kept = sorted(p.name for p in tmp_path.glob("asyncio-loop-*.json"))
    assert len(kept) == LOOP_TRACES_KEPT and path.name in kept and "asyncio-loop-0-0.json" not in kept
    assert not dead.exists() and writing.exists()
    assert run.loop["jobs"] == 0  # C = 0: no CPU jobs
    untraced = run_engine("asyncio", w, loop_trace=None)
    assert untraced.loop is None and identical_readings([run, untraced])  # tracing changes no reading


def test_a_traced_asyncio_run_with_cpu_work_has_its_worker_processes_in_the_trace(sensor, tmp_path):
    w = Workload(12, 20, 3, 2, sensor.url, served_stations(sensor.url)).fixed()
    path = tmp_path / "asyncio-loop-1.json"
    run = run_engine("asyncio", w, loop_trace=path)
    assert not run.error and all(item.reading for item in run.items)
    workers = {item.pid for item in run.items}
    assert os.getpid() not in workers and run.loop["jobs"] == 12 and run.loop["workers"] == len(workers)
    events = json.loads(path.read_text())["traceEvents"]
    jobs = [e for e in events if e["ph"] == "X" and e.get("cat") == "job"]
    assert len(jobs) == 12 and {e["pid"] for e in jobs} == workers  # on the workers' own tracks
    # about C = 3 ms each, in µs; C is counted in work units calibrated on this noisy VM, so a
    # quiet moment after a busy calibration makes a job shorter: the median only, with room
    assert all(e["dur"] > 0 for e in jobs) and statistics.median(e["dur"] for e in jobs) >= 3000 / 4
    flows = [e for e in events if e.get("cat") == "job" and e["ph"] in "stf"]
    assert len(flows) == 3 * 12  # submit → start → done-callback, per job
