"""The trace route's answer, its rows read off the ring in one pass: the JSON it sends is
``json.dumps`` of the answer as Python lists, to the byte, with the C module and without,
and each row says what the ``Callback`` of the same row says."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from scripts.server import free_port
from services.tracing import answer as answer_module
from services.tracing import columns
from services.tracing.answer import SLOW_FLOOR_NS, Answer
from services.tracing.culprit import STUCK_NS
from services.tracing.hub import TraceHub
from services.tracing.routes import serve_trace
from services.tracing.tracer import LoopTracer

NAME = 'böse "Aufgabe" \\ 中文'  # a name JSON escapes (ensure_ascii, a quote, a backslash)


class StuckHub(TraceHub):
    """Gives each long row a last field, as an agent's hub gives where it was stuck."""

    def _extra(self, seq: int, duration_ns: int) -> Any:
        return {"where": ["prog.py", seq, NAME]} if duration_ns >= SLOW_FLOOR_NS else None


async def work(n: int) -> None:
    for i in range(n):
        await asyncio.sleep(0)
        if i == 3:
            time.sleep(0.002)  # a long step: a slow row, with an extra


async def traced(machinery: Any = lambda c: not c.task) -> tuple[StuckHub, Answer, Answer]:
    """A hub's first answer and a following one over a stopped loop (nothing runs between
    answers: they read the same rows); ``machinery`` None: the hub's own, asked once per
    coroutine."""
    loop = asyncio.get_running_loop()
    hub = StuckHub(
        loop, machinery=machinery, app_coroutines=frozenset({"work"}), tracer=LoopTracer(loop, lag_interval_s=0)
    )
    hub.watched()
    await asyncio.gather(*(asyncio.create_task(work(8), name=f"{NAME} {i}") for i in range(20)))
    loop.call_soon(print)  # a plain callback
    await asyncio.sleep(0)
    return hub, hub.answer(-1, 10), hub.answer(5, 10)


def test_the_answer_sent_is_json_dumps_of_its_lists_to_the_byte_with_the_c_module_and_without(monkeypatch):
    async def main() -> list[tuple[Answer, bytes]]:
        hub, first, following = await traced()
        hub.tracer.detach()
        return [(a, a.json()) for a in (first, following)]

    for c_module in {columns._looptrace, None}:
        monkeypatch.setattr(columns, "_looptrace", c_module)
        monkeypatch.setattr(answer_module, "_looptrace", c_module)
        for answer, body in asyncio.run(main()):
            assert body == json.dumps(answer.as_dict()).encode()
            assert answer.extras and answer.as_dict()["links"] and NAME.encode() not in body  # escaped
            assert any(row[6].startswith(NAME) for row in json.loads(body)["rows"])


@pytest.mark.parametrize("machinery", [lambda c: not c.task, None], ids=["per task", "per coroutine"])
def test_each_row_says_what_its_callback_says_names_links_and_long_rows_included(machinery):
    async def main() -> tuple[dict[str, Any], list[list[Any]]]:
        hub, first, _ = await traced(machinery)
        hub.tracer.detach()
        window = first.head["now_ns"] - 10_000_000_000
        expected = []
        for c in hub.tracer.callbacks(-1):
            if c.end_ns >= window:
                named = [hub.lane(c), hub.tracer.name_of(c), hub.internal(c)]
                extra = hub._extra(c.seq, c.duration_ns)
                row = [c.seq, c.kind, c.start_ns, c.end_ns, max(0, c.late_ns), c.task, *named]
                expected.append(row if extra is None else [*row, extra])
        return first.as_dict(), expected

    answer, expected = asyncio.run(main())
    assert answer["rows"] == expected
    assert any(len(row) == 10 for row in answer["rows"]) and answer["slow"]  # long rows: an extra, kept as slow
    assert {row[8] for row in answer["rows"]} == {True, False}  # the program's own tasks, and machinery
    assert answer["cursor"] == expected[-1][0]


def test_an_agents_stuck_rows_are_among_the_rows_the_pass_finds_long():
    assert STUCK_NS >= SLOW_FLOOR_NS  # the pass marks rows of SLOW_FLOOR_NS; where it was stuck needs STUCK_NS


def test_the_route_sends_the_answer_as_json_did():
    async def main() -> tuple[str, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        port = free_port()
        async with TraceHub(loop) as hub, serve_trace(hub, "127.0.0.1", port), aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/trace", params={"after": -1}) as resp:
                return resp.headers["Content-Type"], await resp.json()

    content_type, answer = asyncio.run(main())
    assert content_type == "application/json; charset=utf-8"
    assert list(answer)[:6] == ["pid", "now_ns", "wall_offset_ns", "cursor", "rows", "links"]


def test_a_hub_answering_from_another_thread_lets_the_gil_go_between_names(monkeypatch):
    """An agent's hub names thousands of tasks an answer: every ``yield_keys`` it lets the
    traced loop's thread have the GIL (a hub on its loop's own thread never does)."""

    async def main() -> StuckHub:
        hub, _, _ = await traced()
        hub.tracer.detach()
        return hub

    hub = asyncio.run(main())
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    answer = hub.answer(-1, 10)
    assert slept == [] and len(answer.taken.keys) > 10
    hub.yield_keys = 4
    answer = hub.answer(-1, 10)
    assert slept == [0] * (len(answer.taken.keys) // 4)
    assert answer.json() == json.dumps(answer.as_dict()).encode()
