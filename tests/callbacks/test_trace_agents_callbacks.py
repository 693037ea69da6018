"""The Trace page on an agent, its callbacks called as functions against a real program
run traced as a subprocess: adding the agent, the stream's picture of it (its lanes, where
a block was stuck, its findings), and the page's actions on it."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from callbacks.trace_actions import block, cancel, export, inspect, jobs, record
from callbacks.trace_agents import add_agent, loop_options, page_agents
from callbacks.tracing import _Stream, trace_client
from scripts.server import free_port
from services.core.errors import TraceError
from services.core.settings import Settings, TraceAgent
from services.tracing.recording import Recording
from services.tracing.view import TraceView
from tests.services.tracing.programs import ask, program
from views.tracing import show_note

SHOP = """
import asyncio, time

async def producer(queue):
    n = 0
    while True:
        await queue.put(n)  # waits while the queue is full
        n += 1

async def consumer(queue):
    while True:
        await queue.get()
        await asyncio.sleep(0.05)

async def till():
    while True:
        await asyncio.sleep(0.4)
        time.sleep(0.25)  # the blocking call

async def main():
    queue = asyncio.Queue(maxsize=3)
    await asyncio.gather(producer(queue), consumer(queue), till(), return_exceptions=True)  # one cancelled: on

asyncio.run(main())
"""
LINES = SHOP.splitlines()
BLOCK_LINE = f"shop.py:{next(i for i, line in enumerate(LINES, 1) if 'time.sleep' in line)} (till)"
QUEUE_LINE = f"shop.py:{next(i for i, line in enumerate(LINES, 1) if 'Queue(' in line)} (main)"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """(process, url, token) of the shop program, traced since 2 s (a full queue, blocks)."""
    folder = tmp_path_factory.mktemp("shop")
    with program(folder / "shop.py", SHOP, [sys.executable, "-m", "looplens", "trace"]) as running:
        time.sleep(2.0)
        yield running


def added(settings: Settings, url: str, token: str) -> tuple:
    return asyncio.run(add_agent(settings, 1, url, token, [], "en"))


def test_adding_an_agent_checks_it_switches_to_it_and_never_sends_its_token_back(tmp_path, shop):
    process, url, token = shop
    settings = Settings(data_dir=tmp_path)
    agents, note, loop, box = added(settings, f" {url}/trace ", token)
    assert (
        show_note(note, "en").children
        == f"Added the agent at {url[7:]} (pid {process.pid}): it is in the loop switch now."
    )
    assert agents == [{"id": agents[0]["id"], "url": url}] and loop == f"agent:{agents[0]['id']}" and box == ""
    assert token not in json.dumps([agents, note, loop])
    labels = [o["label"] for o in loop_options(settings, agents, "zh")]
    assert labels == ["采集进程", "传感器服务", f"代理 {url[7:]}"]
    assert page_agents([*agents, {"id": "../x", "url": 5}, "junk"]) == agents  # a browser's store is checked


@pytest.mark.parametrize(
    "where, secret, says",
    [
        ("agent", "wrong", "The agent refused the token"),
        ("nowhere", "any", "The agent does not answer"),
        ("http://127.0.0.1", "any", "An agent's URL is host:port"),
        ("agent", "", "Give the agent's token"),
    ],
)
def test_a_wrong_token_an_agent_not_there_or_a_bad_url_is_a_clear_message(tmp_path, shop, where, secret, says):
    _process, url, _token = shop
    url = {"agent": url, "nowhere": f"http://127.0.0.1:{free_port()}"}.get(where, where)
    agents, note, loop, box = added(Settings(data_dir=tmp_path), url, secret)
    assert show_note(note, "en").children.startswith(says) and note["ok"] is False
    assert not isinstance(agents, list) and not isinstance(loop, str)  # nothing added, no switch


def stream_turn(settings: Settings, loop: str) -> dict:
    """One turn of the page's stream on ``loop``: what it pushed, by component."""

    async def turn() -> dict:
        async with trace_client(settings, "collector") as client:
            stream = _Stream(client, settings, 1)
            stream._outbox = []
            await stream.step(TraceView(loop=loop, slow_ms=100, window_s=15))
            return {component: props for component, props in stream._outbox}

    return asyncio.run(turn())


def test_the_stream_on_an_agent_shows_its_lanes_where_it_blocked_and_its_findings(tmp_path, shop):
    process, url, token = shop
    settings = Settings(data_dir=tmp_path)
    _agents, _note, loop, _box = added(settings, url, token)
    pushed = stream_turn(settings, loop)
    lanes = {y for trace in pushed["trace-graph"]["figure"].data for y in (trace.y or ()) if y}
    assert {"Task-6", "Task-7", "Task-8"} <= lanes  # the program's own tasks, not hidden as loop internals
    assert BLOCK_LINE in str(pushed["trace-slow"]["children"])
    findings = str(pushed["trace-diagnosis"]["children"])
    assert "A blocking call held the loop for" in findings and BLOCK_LINE in findings
    assert f"The queue made at {QUEUE_LINE} stayed full" in findings
    (chart, _caption) = pushed["trace-tracks-box"]["children"].children  # the queue's counter track
    assert chart.figure.layout.annotations[0].text == f"queue made at {QUEUE_LINE}"
    size = chart.figure.data[0]
    assert max(size.y) == 3 and size.x[-1] <= pushed["trace-graph"]["figure"].layout.xaxis.range[1] + 1000  # one clock
    tree = str(pushed["trace-tree"]["children"])
    assert all(f"'{coro}'" in tree or coro in tree for coro in ("producer", "consumer", "till"))
    assert "awaits Task-6, Task-7, Task-8" in tree  # main's gather
    status = stream_turn(settings, loop)  # the status comes with the counters
    assert f"pid {process.pid}" in str(status.get("trace-status", ""))


def test_on_an_agent_load_is_refused_and_a_task_is_inspected_cancelled_and_exported(tmp_path, shop):
    _process, url, token = shop
    settings = Settings(data_dir=tmp_path)
    _agents, _note, loop, _box = added(settings, url, token)
    view = {"loop": loop, "window_s": 15}
    for refused in (asyncio.run(block(settings, 1, "200", view, "en")), asyncio.run(jobs(settings, 1, view, "en"))):
        assert show_note(refused, "en").children.startswith("An agent traces someone's program")
    _status, tree = ask(f"{url}/trace/tree", token)
    consumer = next(t["serial"] for t in tree["tasks"] if "consumer" in t["coro"])
    panel, shown = asyncio.run(inspect(settings, {"loop": loop, "serial": consumer}, "en"))
    assert "consumer" in str(panel) and shown != {"display": "none"}  # an agent's tasks can be cancelled
    till = next(t["serial"] for t in tree["tasks"] if "till" in t["coro"])
    panel, _shown = asyncio.run(inspect(settings, {"loop": loop, "serial": till}, "en"))
    assert "Last stuck" in str(panel) and BLOCK_LINE in str(panel)  # where its newest long step was stuck
    download, note = asyncio.run(export(settings, 1, view))
    doc = json.loads(download["content"])
    assert any(BLOCK_LINE.split(":")[1] in e.get("args", {}).get("stuck_at", "") for e in doc["traceEvents"])
    assert download["filename"].startswith("looplens-trace-agent-p") and note is None
    done = asyncio.run(cancel(settings, 1, {"loop": loop, "serial": consumer}, "en"))
    assert show_note(done, "en").children.startswith("Cancelled Task-")


def test_a_settings_agent_that_is_not_there_or_forgotten_is_a_status_message_not_a_traceback(tmp_path):
    gone = TraceAgent(url=f"http://127.0.0.1:{free_port()}", token=SecretStr("t"), name="shop")
    settings = Settings(data_dir=tmp_path, trace_agents=(gone,))
    assert loop_options(settings, None, "en")[-1] == {"label": "agent shop", "value": "agent:s0"}

    async def status(loop: str) -> str:
        async with trace_client(settings, "collector") as client:
            stream = _Stream(client, settings, 1)
            stream._outbox = []
            view = {"loop": loop, "lang": "zh", "stream": 1}
            try:
                await stream.step(TraceView.from_store(view))
            except TraceError as err:
                await stream.failed(err, view)
            return str(dict(stream._outbox)["trace-status"]["children"])

    assert asyncio.run(status("agent:s0")) == "代理无响应：程序是否仍在运行？地址是否正确？"
    assert asyncio.run(status("agent:pforgotten")) == "这里已不再记录该代理：请用其地址和令牌重新添加。"


def test_an_agents_program_is_recorded_from_the_page_and_the_apps_own_loops_say_why_not(tmp_path, shop):
    _process, url, token = shop
    settings = Settings(data_dir=tmp_path)
    _agents, note, loop, _box = added(settings, url, token)
    assert note["ok"], note
    own = asyncio.run(record(settings, "start", 1, {"loop": "collector"}, "en"))
    assert show_note(own, "en").children.startswith("Recording is for an agent's program")
    started = asyncio.run(record(settings, "start", 1, {"loop": loop}, "en"))
    assert started["ok"], started
    path = Path(started["params"]["path"])
    try:
        assert show_note(started, "zh").children.startswith(f"正在把程序录制到 {path}")
        time.sleep(1.2)
        stopped = asyncio.run(record(settings, "stop", 1, {"loop": loop}, "en"))
        assert show_note(stopped, "en").children == f"Recorded {stopped['params']['written']} s to {path}."
        assert Recording(path).summary()  # a recording that reads back
        again = asyncio.run(record(settings, "stop", 1, {"loop": loop}, "en"))
        assert show_note(again, "en").children == "Nothing was being recorded."
    finally:
        path.unlink(missing_ok=True)  # written beside the program
