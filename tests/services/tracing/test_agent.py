"""The agent on real programs run as subprocesses: ``looplens trace app.py`` and one line in
the program both trace its loop; the agent answers while the loop is blocked; its routes
need its token; it cancels a task on the loop's own thread and makes no load of its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from services.core.children import ROOT
from tests.services.tracing.programs import ask, program

BLOCKING = """
import asyncio, sys, time

async def worker():
    while True:
        await asyncio.sleep(0.02)

async def main():
    {start}
    workers = [asyncio.create_task(worker(), name=f"worker-{{i}}") for i in range(3)]
    await asyncio.sleep(1.0)
    print("blocking", flush=True)
    time.sleep(float(sys.argv[1]))  # the blocking call
    print("unblocked", flush=True)
    await asyncio.sleep(30)

asyncio.run(main())
"""


def traced(tmp_path: Path, command: list[str], start: str = "", block_s: float = 5.0):
    """Run the blocking program; (process, agent url, token) once the agent listens."""
    source = textwrap.dedent(BLOCKING.format(start=start))
    return program(tmp_path / "app.py", source, command, [str(block_s)])


def test_a_script_run_traced_shows_its_tasks_and_the_agent_answers_while_its_loop_blocks(tmp_path):
    with traced(tmp_path, [sys.executable, "-m", "looplens", "trace"]) as (process, url, token):
        assert process.stdout.readline() == "blocking\n"
        time.sleep(0.3)  # inside the 5 s block now
        began = time.perf_counter()
        status, answer = ask(f"{url}/trace?window_s=5", token)
        took = time.perf_counter() - began
        assert status == 200 and took < 0.5, took  # (bench/agent_overhead.py measures it)
        assert {"worker-0", "worker-1", "worker-2"} <= {row[6] for row in answer["rows"]}
        assert answer["pid"] == process.pid and answer["stats"]["dropped"] == 0
        assert ask(f"{url}/trace/health")[0] == 200  # the health check alone needs no token
        process.stdout.readline()  # "unblocked": the blocking step ends a moment later
        for _ in range(20):
            status, answer = ask(f"{url}/trace?window_s=10", token)
            block = max(answer["rows"], key=lambda row: row[3] - row[2])
            if block[3] - block[2] > 4.9e9:
                break
            time.sleep(0.1)
        assert 4900 < (block[3] - block[2]) / 1e6 < 6000  # the block is one callback, as long as the sleep
        line = 1 + BLOCKING.splitlines().index("    time.sleep(float(sys.argv[1]))  # the blocking call")
        culprit = block[9]  # where it was stuck: the program's own line, sampled while it was
        assert culprit["where"] == [str(tmp_path / "app.py"), line, "main"]
        assert culprit["samples"] == culprit["of"] >= 10 and culprit["stack"][-1][2] == "main"


def test_one_line_in_the_program_traces_its_running_loop_and_the_token_guards_every_route(tmp_path):
    start = "import looplens.agent; looplens.agent.start()"
    with traced(tmp_path, [sys.executable], start=start, block_s=0.1) as (process, url, token):
        assert process.stdout.readline() == "blocking\n"
        assert ask(f"{url}/trace")[0] == 403
        assert ask(f"{url}/trace", "not-the-token")[0] == 403
        status, answer = ask(f"{url}/trace?window_s=5", token)
        assert status == 200 and "worker-1" in {row[6] for row in answer["rows"]}


def test_the_agent_cancels_a_task_on_its_loop_and_refuses_to_load_the_program(tmp_path):
    with traced(tmp_path, [sys.executable, "-m", "looplens.agent"], block_s=0.1) as (process, url, token):
        process.stdout.readline()
        _, answer = ask(f"{url}/trace?window_s=5", token)
        serial = next(row[5] for row in answer["rows"] if row[6] == "worker-2")
        assert ask(f"{url}/trace/tasks/{serial}/cancel", token, "POST") == (200, {"cancelled": "worker-2"})
        time.sleep(0.2)
        assert ask(f"{url}/trace/tasks/{serial}", token)[1]["state"] == "cancelled"
        assert ask(f"{url}/trace/block?ms=100", token, "POST") == (409, {"error": "trace.err.agent_no_load"})
        assert ask(f"{url}/trace/jobs?n=1&ms=10", token, "POST")[0] == 409


def test_a_script_that_is_not_there_is_named_in_a_clear_message(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "looplens", "trace", str(tmp_path / "nope.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "no such script" in done.stderr and "Traceback" not in done.stderr


UVLOOP = """
import asyncio, time, uvloop

async def worker():
    while True:
        await asyncio.sleep(0.02)

async def main():
    import looplens.agent
    looplens.agent.start()  # uvloop.run makes its loop past asyncio's policy: start inside it
    workers = [asyncio.create_task(worker(), name=f"uv-worker-{i}") for i in range(2)]
    await asyncio.sleep(0.3)
    time.sleep(0.3)  # UVLOOP BLOCK
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.sleep(30)

uvloop.run(main())
"""


def test_a_program_on_uvloop_is_traced_and_the_agent_says_what_it_cannot_see_there(tmp_path):
    with program(tmp_path / "uv.py", UVLOOP, [sys.executable]) as (process, url, token):
        assert process.stdout.readline() == "ready\n"
        _, answer = ask(f"{url}/trace?window_s=10", token)
        assert {"uv-worker-0", "uv-worker-1"} <= {row[6] for row in answer["rows"]}
        assert answer["limits"] == ["trace.limit.uvloop_timers", "trace.limit.uvloop_io"]
        _, diagnosis = ask(f"{url}/trace/diagnosis", token)
        line = 1 + UVLOOP.splitlines().index("    time.sleep(0.3)  # UVLOOP BLOCK")
        assert [f["params"]["where"] for f in diagnosis["findings"]] == [f"uv.py:{line} (main)"]


def test_the_agent_imports_nothing_but_the_standard_library_and_aiohttp():
    heavy = "dash", "plotly", "pydantic", "pydantic_settings", "numpy", "flask", "diskcache"
    code = f"import looplens.agent, sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "[]", done.stderr


FAMILY = """
import asyncio

async def leaf(n):
    await asyncio.sleep(30)

async def fan_out():
    await asyncio.gather(*(asyncio.create_task(leaf(n), name=f"leaf-{n}") for n in range(3)))

async def waiter(other):
    await other

async def main():
    boss = asyncio.create_task(fan_out(), name="fan-out")
    asyncio.create_task(waiter(boss), name="waiter")
    await asyncio.sleep(0.3)
    print("ready", flush=True)
    await asyncio.sleep(30)

asyncio.run(main())
"""


def test_the_tree_says_who_made_whom_and_who_awaits_whom(tmp_path):
    with program(tmp_path / "family.py", FAMILY, [sys.executable, "-m", "looplens", "trace"]) as (process, url, token):
        assert process.stdout.readline() == "ready\n"
        tasks = {t["name"]: t for t in ask(f"{url}/trace/tree", token)[1]["tasks"]}
        serial = {name: t["serial"] for name, t in tasks.items()}
        main = next(name for name, t in tasks.items() if t["coro"] == "main")
        assert tasks["fan-out"]["parent"] == tasks["waiter"]["parent"] == serial[main]
        assert {tasks[f"leaf-{n}"]["parent"] for n in range(3)} == {serial["fan-out"]}
        assert sorted(tasks["fan-out"]["awaits"]) == sorted(serial[f"leaf-{n}"] for n in range(3))  # a gather
        assert tasks["waiter"]["awaits"] == [serial["fan-out"]]  # await other
        assert tasks[main]["parent"] == 0 and all(t["alive"] for t in tasks.values())
