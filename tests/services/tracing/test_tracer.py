"""The event-loop tracer against real loops, a real process pool and its export."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time

import pytest

from services.tracing import tracer as tracer_module
from services.tracing.columns import CANCELLED, DONE, DONE_CALLBACK, LAG_CAPACITY, RAISED, SOON, TIMER, LagRing
from services.tracing.export import chrome_trace
from services.tracing.family import task_tree
from services.tracing.pool import TracedPool
from services.tracing.tracer import LoopTracer

SPEED = 0.1  # the chain's 1 s steps and 9 s horizon, ten times faster


@pytest.fixture(params=["C", "Python"])
def hot_path(request, monkeypatch):
    """The loop-tracer tests run on both hot paths: the C one the bootstrap builds, and the
    Python one used where it is not built."""
    if request.param == "C":
        assert tracer_module._looptrace is not None, "scripts/build_ext.py did not build services/tracing/_looptrace"
    else:
        monkeypatch.setattr(tracer_module, "_looptrace", None)
    return request.param


def run_chain(loop: asyncio.AbstractEventLoop) -> list[tuple[str, float]]:
    """function_1 → 2 → 3 → 1 …: call_soon first, then call_later(1 s), until loop.time() + 9."""
    calls: list[tuple[str, float]] = []

    def step(n: int, end: float) -> None:
        calls.append((f"function_{n}", loop.time()))
        if loop.time() + 1.0 * SPEED < end:
            loop.call_later(1.0 * SPEED, step, n % 3 + 1, end)
        else:
            loop.stop()

    loop.call_soon(step, 1, loop.time() + 9 * SPEED)
    loop.run_forever()
    return calls


@pytest.mark.usefixtures("hot_path")
def test_the_call_soon_call_later_chain_is_traced_once_each_in_order_with_lateness():
    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, lag_interval_s=0) as tracer:
            calls = run_chain(loop)
            rows = [c for c in tracer.callbacks() if tracer.name_of(c).endswith("step")]
        # loop.time() is monotonic seconds; perf_counter_ns the same clock in ns on Linux
        assert len(rows) == len(calls) >= 8
        assert [c.kind for c in rows] == [SOON] + [TIMER] * (len(calls) - 1)
        assert [c.seq for c in rows] == sorted(c.seq for c in rows)
        for row, (_, at) in zip(rows, calls, strict=True):
            assert abs(row.start_ns / 1e9 - at) < 0.010
            assert 0 <= row.late_ns < 50_000_000  # a timer runs after it was due, not before
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.parent == before.seq  # each call was scheduled by the one before
            assert abs((after.due_ns - before.start_ns) / 1e9 - SPEED) < 0.005
    finally:
        loop.close()


@pytest.mark.usefixtures("hot_path")
def test_a_blocking_sleep_in_a_task_is_a_slow_step_of_that_task_and_a_lag_spike():
    async def sensor_poll() -> None:
        await asyncio.sleep(0.12)
        time.sleep(0.05)  # the mistake the tracer must make visible
        await asyncio.sleep(0.12)

    async def main() -> None:
        await asyncio.create_task(sensor_poll(), name="poll beijing")

    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, lag_interval_s=0.01) as tracer:
            loop.run_until_complete(main())
            [serial] = [r.serial for r in tracer.tasks() if r.coro.endswith("sensor_poll")]
            slow = [c for c in tracer.callbacks() if c.duration_ns >= 30_000_000]
            steps = [c for c in tracer.callbacks() if c.task == serial]
            lag = max(ns for _, ns in tracer.lag())
            info = tracer.task_info(serial)
    finally:
        loop.close()
    assert len(steps) == 3  # the first step and one after each sleep
    assert len(slow) == 1
    assert slow[0].task == serial
    # a sleep never ends early, and on a busy VM it can end a few scheduler slices late
    assert 49.5 <= slow[0].duration_ns / 1e6 <= 80
    assert 40 <= lag / 1e6 <= 90  # the probe woke about 50 ms late
    assert info is not None and info.name == "poll beijing" and info.state == "done"
    assert info.coro.endswith("sensor_poll") and "test_tracer.py" in info.site


@pytest.mark.usefixtures("hot_path")
def test_detach_gives_the_loop_back_what_it_had():
    loop = asyncio.new_event_loop()
    try:

        def factory(loop, coro, **kwargs):
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)
        before = (loop.call_soon, loop.call_later, loop.call_at, loop.call_soon_threadsafe)
        tracer = LoopTracer(loop, lag_interval_s=0.01).attach()
        assert loop.get_task_factory() is not factory
        loop.run_until_complete(asyncio.sleep(0.02))
        tracer.detach()
        assert loop.get_task_factory() is factory
        assert "call_soon" not in loop.__dict__ and "call_at" not in loop.__dict__
        assert (loop.call_soon, loop.call_later, loop.call_at, loop.call_soon_threadsafe) == before
        seen = tracer.statistics().recorded
        loop.run_until_complete(asyncio.sleep(0.02))
        assert tracer.statistics().recorded == seen  # nothing recorded once detached
    finally:
        loop.close()


@pytest.mark.usefixtures("hot_path")
def test_a_full_ring_counts_what_it_dropped_and_keeps_the_newest():
    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, capacity=100, lag_interval_s=0) as tracer:

            async def chatter() -> None:
                for _ in range(250):
                    await asyncio.sleep(0)

            loop.run_until_complete(chatter())
            stats = tracer.statistics()
            rows = tracer.callbacks()
        assert stats.recorded > 250
        assert stats.dropped == stats.recorded - 100
        assert 95 <= len(rows) <= 100  # the newest (a few may not have run yet)
        assert rows[-1].seq >= stats.recorded - 5
        assert tracer.statistics().dropped == stats.dropped  # reading does not drop more
    finally:
        loop.close()


def square(x: int) -> int:
    return x * x


def test_pool_jobs_run_in_worker_pids_and_their_done_callbacks_in_the_parent():
    results: list[tuple[int, int]] = []
    with TracedPool(2) as pool:
        futures = [pool.submit(square, n, on_done=lambda r: results.append((r, os.getpid()))) for n in range(6)]
        assert [f.result(timeout=30) for f in futures] == [0, 1, 4, 9, 16, 25]
        jobs = pool.jobs()
    assert sorted(r for r, _ in results) == [0, 1, 4, 9, 16, 25]
    assert {pid for _, pid in results} == {os.getpid()}
    assert len(jobs) == 6 and all(j.pid != os.getpid() for j in jobs)
    for j in jobs:
        assert j.submitted_ns < j.start_ns <= j.end_ns <= j.done_start_ns <= j.done_ns


def test_a_worker_error_reaches_the_caller():
    with TracedPool(1) as pool:
        future = pool.submit(square, "x")
        with pytest.raises(TypeError):
            future.result(timeout=30)


@pytest.mark.usefixtures("hot_path")
def test_the_export_is_valid_trace_event_json_with_tracks_and_links():
    async def fetch() -> int:
        await asyncio.sleep(0.01)
        return 21

    async def main() -> int:
        task = asyncio.create_task(fetch(), name="fetch lhasa")
        done = asyncio.get_running_loop().create_future()
        task.add_done_callback(lambda t: done.set_result(t.result() * 2))
        return await done

    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, lag_interval_s=0) as tracer:
            start = time.perf_counter_ns()
            assert loop.run_until_complete(main()) == 42
            with TracedPool(1) as pool:
                pool.submit(square, 3).result(timeout=30)
                jobs = pool.jobs()
            doc = json.loads(json.dumps(chrome_trace(tracer, start, time.perf_counter_ns(), jobs)))
    finally:
        loop.close()
    events = doc["traceEvents"]
    for e in events:
        assert e["ph"] in {"M", "X", "s", "t", "f", "i"}
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0 and e["name"]
        if e["ph"] in {"s", "t", "f"}:
            assert "id" in e
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert any(n.startswith("fetch lhasa") for n in names)
    assert "process pool (parent)" in names
    processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert processes == {os.getpid(), jobs[0].pid}
    links = [e for e in events if e.get("cat") == "link"]
    starts = {e["id"] for e in links if e["ph"] == "s"}
    ends = {e["id"] for e in links if e["ph"] == "f"}
    assert starts and starts == ends  # every done-callback arrow has both ends
    lambda_rows = [e for e in events if e["ph"] == "X" and "<lambda>" in e["name"]]
    assert lambda_rows and lambda_rows[0]["args"]["scheduled"] == "done callback"
    assert lambda_rows[0]["args"]["seq"] in ends


def scripted(loop: asyncio.AbstractEventLoop, native: bool) -> tuple[list[tuple], list[tuple]]:
    """A small scenario with every kind of row: what each hot path records of it."""

    async def worker(n: int) -> int:
        await asyncio.sleep(0)
        if n == 2:
            raise ValueError("station 2 answered garbage")
        await asyncio.sleep(0.005)
        return n

    async def main() -> None:
        tasks = [asyncio.create_task(worker(n), name=f"worker {n}") for n in range(3)]
        slow = asyncio.create_task(asyncio.sleep(10), name="never")
        done = loop.create_future()
        tasks[0].add_done_callback(lambda t: done.set_result(t.result()))
        await done
        loop.call_soon_threadsafe(done.get_loop().time)  # a builtin, from the threadsafe door
        await asyncio.gather(*tasks, return_exceptions=True)
        slow.cancel()
        await asyncio.sleep(0.001)

    loop.set_exception_handler(lambda loop, context: None)  # worker 2's error is the scenario's own
    with LoopTracer(loop, lag_interval_s=0, native=native) as tracer:
        loop.run_until_complete(main())
        rows = tracer.callbacks()
        serials = {c.task for c in rows if c.task}
        tasks = sorted(
            (r.serial, r.coro, "Task-*" if r.name.startswith("Task-") else r.name, r.outcome, r.site_line, r.parent)
            for r in tracer.tasks()
            if r.serial in serials
        )
        shape = [(c.kind, c.parent >= 0, tracer.name_of(c), c.end_ns >= c.start_ns > 0) for c in rows]
    return shape, tasks


def test_the_c_and_python_hot_paths_record_the_same_rows():
    assert tracer_module._looptrace is not None, "scripts/build_ext.py did not build services/tracing/_looptrace"
    results = []
    for native in (True, False):
        loop = asyncio.new_event_loop()
        try:
            results.append(scripted(loop, native))
        finally:
            loop.close()
    (c_rows, c_tasks), (py_rows, py_tasks) = results
    assert c_rows == py_rows
    assert c_tasks == py_tasks
    outcomes = {name: outcome for _, _, name, outcome, _, _ in c_tasks}
    made_by = {name: parent for _, _, name, _, _, parent in c_tasks}
    assert made_by["worker 0"] == made_by["never"] == next(s for s, _, name, *_ in c_tasks if name == "Task-*")
    assert outcomes["worker 0"] == DONE and outcomes["worker 2"] == RAISED and outcomes["never"] == CANCELLED
    assert any(kind == DONE_CALLBACK and name.endswith("<lambda>") for kind, _, name, _ in c_rows)
    assert any(name == "BaseEventLoop.time" for _, _, name, _ in c_rows)  # a builtin's name, looked up


@pytest.mark.usefixtures("hot_path")
def test_tracing_does_not_mark_an_unread_task_error_as_retrieved():
    async def main() -> None:
        async def fail() -> None:
            raise RuntimeError("sensor hub gone")

        asyncio.create_task(fail())
        await asyncio.sleep(0.01)

    logged: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: logged.append(context["message"]))
    try:
        with LoopTracer(loop, lag_interval_s=0):
            loop.run_until_complete(main())
            gc.collect()
    finally:
        loop.close()
    assert any("never retrieved" in message for message in logged)  # asyncio still says so


@pytest.mark.usefixtures("hot_path")
def test_builtin_callbacks_share_one_name_entry_not_one_per_bound_object():
    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, lag_interval_s=0) as tracer:
            futures = [loop.create_future() for _ in range(200)]
            for n, future in enumerate(futures):
                loop.call_soon(future.set_result, n)
            loop.run_until_complete(asyncio.gather(*futures))
            rows = [c for c in tracer.callbacks() if tracer.name_of(c).endswith("set_result")]
            assert len(rows) == 200
            assert len({c.code for c in rows}) == 1 and len(tracer._codes) < 20  # bounded, whatever the count
    finally:
        loop.close()


@pytest.mark.usefixtures("hot_path")
def test_a_loop_closed_after_detach_leaves_no_pending_task(caplog):
    """Detaching outside the loop finishes the lag probe: closing the loop then logs nothing
    (before, asyncio said "Task was destroyed but it is pending!")."""
    loop = asyncio.new_event_loop()
    tracer = LoopTracer(loop, lag_interval_s=0.01).attach()
    loop.run_until_complete(asyncio.sleep(0.05))
    tracer.detach()
    assert not asyncio.all_tasks(loop)
    loop.close()
    del tracer
    gc.collect()
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]


@pytest.mark.usefixtures("hot_path")
def test_a_task_alive_across_a_detach_is_named_again_after_the_next_attach():
    """Each attach numbers live tasks afresh (a task that ended unseen while detached may
    have left its address to a new one); a task that lived through is still named."""

    async def keeps_polling() -> None:
        for _ in range(20):
            await asyncio.sleep(0.005)

    async def scenario() -> LoopTracer:
        tracer = LoopTracer(asyncio.get_running_loop(), lag_interval_s=0).attach()
        task = asyncio.create_task(keeps_polling(), name="poll-across")
        await asyncio.sleep(0.02)
        tracer.detach()
        await asyncio.sleep(0.02)
        tracer.attach()
        await task
        tracer.detach()
        return tracer

    loop = asyncio.new_event_loop()
    try:
        tracer = loop.run_until_complete(scenario())
        steps = [c for c in tracer.callbacks() if c.task]
        names = {tracer.task_name(c.task) for c in steps}
        coros = {tracer.task_record(c.task).coro.rsplit(".", 1)[-1] for c in steps if tracer.name_of(c) != "step task"}
    finally:
        loop.close()
    assert "poll-across" in names
    assert "keeps_polling" in coros


@pytest.mark.usefixtures("hot_path")
def test_a_task_keeps_the_task_that_made_it_after_the_callback_ring_wrapped():
    """The parent is kept in the task's record, not looked up in the callback ring, so it
    is still known once the ring has wrapped many times over; a task made by a plain
    callback has none."""

    async def fetch() -> None:
        await asyncio.sleep(0)

    async def poll_station() -> None:
        await asyncio.create_task(fetch(), name="fetch lhasa")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda: loop.create_task(fetch(), name="from a callback"))
        await asyncio.create_task(poll_station(), name="poll lhasa")
        for _ in range(300):  # three times the ring's 100 rows
            await asyncio.sleep(0)

    loop = asyncio.new_event_loop()
    try:
        with LoopTracer(loop, capacity=100, lag_interval_s=0) as tracer:
            loop.run_until_complete(main())
            assert tracer.statistics().dropped > 200  # the ring wrapped: the creations' rows are long gone
            records = {r.name: r for r in tracer.tasks()}
            tree = {t["name"]: t for t in task_tree(tracer)["tasks"]}
    finally:
        loop.close()
    main_serial = next(r.serial for r in records.values() if r.coro.endswith(".main"))
    assert records["poll lhasa"].parent == main_serial
    assert records["fetch lhasa"].parent == records["poll lhasa"].serial
    assert tree["fetch lhasa"]["parent"] == records["poll lhasa"].serial
    assert records["from a callback"].parent == 0  # a plain callback made it: no task did
    assert [t["parent"] for t in tree.values() if t["serial"] == main_serial] == [0]  # made before any step ran


@pytest.mark.usefixtures("hot_path")
def test_live_tasks_are_mapped_again_only_when_the_map_cannot_answer(monkeypatch):
    """A reader in another thread sees the loop run on at every call: naming a thousand tasks
    must not map every live task a thousand times. A live task, and a finished one numbered
    before the map, are answered from it; a new task, or one finished since, maps again."""
    maps = []
    all_tasks = asyncio.all_tasks
    monkeypatch.setattr(asyncio, "all_tasks", lambda loop=None: maps.append(1) or all_tasks(loop))

    async def scenario() -> list[tuple[bool, int]]:
        loop = asyncio.get_running_loop()
        tracer = LoopTracer(loop, lag_interval_s=0).attach()
        await asyncio.create_task(asyncio.sleep(0), name="done")
        alive = asyncio.create_task(asyncio.sleep(1), name="alive")
        await asyncio.sleep(0)
        serial = {tracer.task_name(c.task): c.task for c in tracer.callbacks() if c.task}
        seen = []
        maps.clear()
        for _ in range(50):
            loop.call_soon(lambda: None)  # the loop ran on (its next seq moved)
            seen.append((tracer.live_task(serial["alive"]) is alive, len(maps)))
            seen.append((tracer.live_task(serial["done"]) is None, len(maps)))
        newer = asyncio.create_task(asyncio.sleep(1), name="newer")
        await asyncio.sleep(0)
        newer_serial = max(c.task for c in tracer.callbacks() if c.task)
        seen.append((tracer.live_task(newer_serial) is newer, len(maps)))
        alive.cancel()
        await asyncio.sleep(0)
        seen.append((tracer.live_task(serial["alive"]) is None, len(maps)))
        newer.cancel()
        tracer.detach()
        return seen

    seen = asyncio.run(scenario())
    assert all(found for found, _ in seen)
    assert [n for _, n in seen[:100]] == [0] * 100  # answered from the map made before
    assert seen[100][1] == 1 and seen[101][1] == 2  # a new task, then one finished since: mapped again


def test_lag_samples_since_a_time_are_found_by_bisection_in_a_wrapped_ring():
    ring = LagRing()
    for i in range(2 * LAG_CAPACITY + 123):
        ring.add(1_000 + i * 10, i)
    newest = [(1_000 + i * 10, i) for i in range(LAG_CAPACITY + 123, 2 * LAG_CAPACITY + 123)]
    for since in (0, newest[0][0], newest[0][0] + 1, newest[5000][0] - 5, newest[-1][0], newest[-1][0] + 1):
        assert ring.since(since) == [pair for pair in newest if pair[0] >= since]
