"""The agent's plain-language diagnosis, each finding proved on a program made to show it
(run as a subprocess under ``looplens trace``), and none on a healthy one."""

from __future__ import annotations

import sys
import textwrap
from typing import Any

import pytest

from services.core.i18n import t
from tests.services.tracing.programs import ask, program

SCENARIOS = """
import asyncio, gc, sys, time

async def tick():
    while True:
        await asyncio.sleep(0.02)

def spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(100))

async def blocking():
    time.sleep(0.4)  # BLOCKING LINE

async def cpu():
    spin(0.4)  # CPU LINE

def timer():
    pass

async def pending():
    await asyncio.get_running_loop().create_future()  # nobody will ever set it

async def fails():
    raise KeyError("station")

async def produce(queue):
    for n in range(20):
        await queue.put(n)

async def produce_slowly(queue):
    for n in range(40):
        await queue.put(n)
        await asyncio.sleep(0.1)  # between puts: the queue stays full, nobody waits to put

async def consume(queue):
    while True:
        await queue.get()
        await asyncio.sleep(0.3)

async def produce_with_a_stall(queue):
    for burst in range(2):
        for n in range(4):
            await queue.put(n)
        if not burst:
            await asyncio.sleep(3.0)  # the producer stalls: its consumers wait on the empty queue

async def hold(lock, seconds):
    async with lock:
        await asyncio.sleep(seconds)

async def main(scenario):
    ticking = asyncio.create_task(tick(), name="tick")
    await asyncio.sleep(0.3)
    if scenario == "blocking":
        await asyncio.create_task(blocking(), name="blocker")
    elif scenario == "cpu":
        await asyncio.create_task(cpu(), name="cruncher")
    elif scenario == "late":
        asyncio.get_running_loop().call_later(0.05, timer)
        await asyncio.create_task(blocking(), name="blocker")
    elif scenario == "pending":
        asyncio.create_task(pending(), name="forgotten")
        await asyncio.sleep(0.05)
        gc.collect()
    elif scenario == "queue_full":
        queue = asyncio.Queue(maxsize=2)  # QUEUE LINE
        consumer = asyncio.create_task(consume(queue), name="consumer")
        producer = asyncio.create_task(produce(queue), name="producer")
        await asyncio.sleep(1.6)
    elif scenario == "queue_full_slow_producer":
        queue = asyncio.Queue(maxsize=2)  # SLOW QUEUE LINE
        consumer = asyncio.create_task(consume(queue), name="consumer")
        producer = asyncio.create_task(produce_slowly(queue), name="producer")
        await asyncio.sleep(2.0)
    elif scenario == "queue_empty":
        queue = asyncio.Queue()  # STARVED LINE
        consumers = [asyncio.create_task(consume(queue), name=f"consumer {n}") for n in range(2)]
        await asyncio.create_task(produce_with_a_stall(queue), name="producer")
    elif scenario == "lock":
        lock = asyncio.Lock()  # LOCK LINE
        await asyncio.gather(hold(lock, 1.4), hold(lock, 0.01), hold(lock, 0.01))
    elif scenario == "executor":
        await asyncio.to_thread(time.sleep, 0.2)
    elif scenario == "never_retrieved":
        asyncio.create_task(fails(), name="failing")
        await asyncio.sleep(0.05)
        gc.collect()
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    await asyncio.sleep(30)

asyncio.run(main(sys.argv[1]))
"""


def findings(tmp_path, scenario: str, route: str = "/diagnosis?window_s=30") -> Any:
    """What the agent says at ``route`` of the program running ``scenario`` (its findings
    for the diagnosis)."""
    command = [sys.executable, "-m", "looplens", "trace"]
    with program(tmp_path / "app.py", textwrap.dedent(SCENARIOS), command, [scenario]) as (process, url, token):
        assert process.stdout.readline() == "ready\n"
        _, found = ask(f"{url}/trace{route}", token)
        return found["findings"] if route.startswith("/diagnosis") else found


def line_of(marker: str) -> str:
    return f"app.py:{1 + SCENARIOS.splitlines().index(next(x for x in SCENARIOS.splitlines() if marker in x))}"


def test_a_healthy_program_gets_no_finding(tmp_path):
    assert findings(tmp_path, "healthy") == []


@pytest.mark.parametrize(
    ("scenario", "code", "expected"),
    [
        (
            "blocking",
            "diag.blocking",
            {"where": line_of("BLOCKING LINE") + " (blocking)", "name": "blocker · step blocking"},
        ),
        ("cpu", "diag.cpu", {"where": line_of("sum(i * i") + " (<genexpr>)", "name": "cruncher · step cpu"}),
        ("pending", "diag.pending_destroyed", {"task": "forgotten"}),
        ("queue_full", "diag.queue_full", {"site": line_of("QUEUE LINE") + " (main)", "waiting": 1}),
        ("queue_full_slow_producer", "diag.queue_full", {"site": line_of("SLOW QUEUE LINE") + " (main)", "waiting": 1}),
        ("queue_empty", "diag.queue_empty", {"site": line_of("STARVED LINE") + " (main)", "waiting": 2}),
        ("lock", "diag.lock_contended", {"site": line_of("LOCK LINE") + " (main)", "waiting": 2}),
        ("never_retrieved", "diag.never_retrieved", {"task": "failing", "error": "KeyError: 'station'"}),
    ],
)
def test_each_problem_is_found_named_and_said_in_both_languages(tmp_path, scenario, code, expected):
    found = [f for f in findings(tmp_path, scenario) if f["code"] == code]
    assert len(found) == 1 and expected.items() <= found[0]["params"].items(), found
    assert "{" not in t(code, "en", **found[0]["params"]) and "{" not in t(code, "zh", **found[0]["params"])
    if scenario in ("blocking", "cpu"):
        assert 380 <= found[0]["params"]["ms"] < 1000 and len(found[0]["seqs"]) == 1
    if scenario == "queue_empty":  # the stall, less the first burst's work
        assert 2.0 <= found[0]["params"]["s"] < 3.1


def test_late_timers_name_the_callback_that_delayed_them(tmp_path):
    late = [f for f in findings(tmp_path, "late") if f["code"] == "diag.late_timer_by"]
    assert len(late) == 1, late  # the plain timer and the ticking task's sleep: one cause, one finding
    params = late[0]["params"]
    assert params["by"] == "blocker · step blocking" and params["late_ms"] >= 300 and params["count"] >= 2
    assert params["name"] in ("timer", "asyncio.sleep()") and len(late[0]["seqs"]) == params["count"] + 1


def test_queues_and_executor_jobs_are_tracks_and_spans_on_the_trace_clock(tmp_path):
    answer = findings(tmp_path, "queue_full", route="?window_s=30")
    queue = next(o for o in answer["primitives"]["objects"] if o["kind"] == "queue")
    assert queue["site"] == line_of("QUEUE LINE") + " (main)" and queue["maxsize"] == 2
    assert max(s[1] for s in queue["samples"]) == 2 and max(s[2] for s in queue["samples"]) == 1  # full, a putter
    assert all(answer["now_ns"] - 31e9 <= s[0] <= answer["now_ns"] for s in queue["samples"])
    jobs = findings(tmp_path, "executor", route="?window_s=30")["primitives"]["jobs"]
    ((submitted, started, ended, thread, name),) = jobs
    assert name == "sleep" and thread.startswith("asyncio_") and 0.19 < (ended - started) / 1e9 < 0.5
    assert submitted <= started


def test_the_perfetto_export_carries_the_stuck_line_the_counters_and_the_executor_jobs(tmp_path):
    events = findings(tmp_path, "blocking", route="/export?window_s=30")["traceEvents"]
    (block,) = [e for e in events if e.get("ph") == "X" and e["dur"] > 300_000]
    assert block["args"]["stuck_at"] == f"{tmp_path}/" + line_of("BLOCKING LINE") + " (blocking)"
    assert block["args"]["stack"][-1] == block["args"]["stuck_at"]
    events = findings(tmp_path, "queue_full", route="/export?window_s=30")["traceEvents"]
    sizes = [
        e["args"]["size"]
        for e in events
        if e["ph"] == "C" and e["name"] == "queue " + line_of("QUEUE LINE") + " (main)"
    ]
    assert max(sizes) == 2
    events = findings(tmp_path, "executor", route="/export?window_s=30")["traceEvents"]
    (job,) = [e for e in events if e.get("cat") == "executor"]
    assert job["name"] == "sleep" and 190_000 < job["dur"] < 500_000
