"""Links on the Trace page, from a real loop: a task made by another's step is drawn from
that step (when it was made) to the new task's first step; a done callback from the row
that completed its future to the callback. On both hot paths."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.tracing import tracer as tracer_module
from services.tracing.hub import TraceHub
from services.tracing.links import DONE_LINK, MADE_LINK
from services.tracing.tracer import LoopTracer
from services.tracing.view import END, LANE, START, TraceSession, TraceView, trace_index
from views.tracing import make_trace_figure


@pytest.fixture(params=[True, False], ids=["C", "Python"])
def native(request) -> bool:
    if request.param:
        assert tracer_module._looptrace is not None, "scripts/build_ext.py did not build services/tracing/_looptrace"
    return request.param


async def leaf(n: int) -> int:
    await asyncio.sleep(0.005 * n)
    return n


async def boss() -> None:
    """Makes leaf-1 and waits for it through a done callback, then fans out three more."""
    loop = asyncio.get_running_loop()
    got = loop.create_future()
    first = asyncio.create_task(leaf(1), name="leaf-1")
    first.add_done_callback(lambda task: got.set_result(task.result()))
    await got
    await asyncio.gather(*(asyncio.create_task(leaf(n), name=f"leaf-{n}") for n in range(2, 5)))


def traced(native: bool, asyncio_is_machinery: bool = False) -> dict[str, Any]:
    """One answer of a hub that watched ``boss`` run, and a task made by a plain callback.
    Every row is the app's own, or (``asyncio_is_machinery``) every plain callback of asyncio's
    code is machinery (gather's done callback, say)."""

    async def main() -> dict[str, Any]:
        loop = asyncio.get_running_loop()

        def machinery(c: Any) -> bool:
            code = hub.tracer.code_of(c)
            return asyncio_is_machinery and not c.task and "asyncio" in getattr(code, "co_filename", "")

        hub = TraceHub(loop, machinery=machinery, tracer=LoopTracer(loop, lag_interval_s=0, native=native))
        hub.poll(-1, 5)
        loop.call_soon(lambda: loop.create_task(leaf(0), name="orphan"))
        await asyncio.create_task(boss(), name="boss")
        answer = hub.poll(-1, 5)
        hub.tracer.detach()
        return answer

    return asyncio.run(main())


def test_a_task_made_by_another_is_a_line_from_the_step_that_made_it_to_its_first_step(native):
    answer = traced(native)
    rows = {row[0]: row for row in answer["rows"]}
    made = [link for link in answer["links"] if link[0] == MADE_LINK]
    assert sorted(rows[seq][LANE] for _, seq, _, _ in made) == ["leaf-1", "leaf-2", "leaf-3", "leaf-4"]
    for _, seq, source, at in made:
        assert rows[source][LANE] == "boss" and rows[source][START] <= at <= rows[source][END]  # in the step making it
        assert min(r[0] for r in rows.values() if r[LANE] == rows[seq][LANE]) == seq  # to the task's first step
    assert "orphan" in {row[LANE] for row in rows.values()}  # made by a plain callback: drawn, not linked

    session = TraceSession(TraceView(hide_internal=False, window_s=5))
    fig = make_trace_figure(session.feed(answer), session, "en")
    line = fig.data[trace_index("made", 0)]
    assert len(line.x) == 12 and "orphan" not in line.y  # four links (start, end, break), none to the orphan
    assert line.y[0::3] == ("boss",) * 4 and sorted(line.y[1::3]) == ["leaf-1", "leaf-2", "leaf-3", "leaf-4"]
    assert line.hovertext[0] == "boss made the task leaf-1"
    assert line.marker.size[:3] == (0, 10, 0)  # an arrow head on the child's end only


def test_a_done_callback_is_an_arrow_from_the_row_that_completed_its_future(native):
    answer = traced(native)
    rows = {row[0]: row for row in answer["rows"]}
    done = [(rows[source], rows[seq]) for kind, seq, source, _ in answer["links"] if kind == DONE_LINK]
    lambda_links = [(a, b) for a, b in done if b[7].endswith("<lambda>")]
    assert [(a[LANE], b[LANE]) for a, b in lambda_links] == [("leaf-1", "callbacks")]  # leaf-1's end ran it

    session = TraceSession(TraceView(hide_internal=False, window_s=5, lang="zh"))
    fig = make_trace_figure(session.feed(answer), session, "zh")
    arrows, made = fig.data[trace_index("done", 0)], fig.data[trace_index("made", 0)]
    assert len(arrows.x) == 3 * len(done) and "leaf-1 完成了一个 future" in " ".join(filter(None, arrows.hovertext))
    assert arrows.line.dash == "dot" and arrows.line.color != made.line.color  # told apart at a glance
    assert (arrows.name, made.name) == ("完成回调（future 完成 → 回调）", "创建（父任务 → 首次推进）")
    assert arrows.showlegend and not fig.data[trace_index("done", 1)].showlegend


def test_with_library_code_hidden_a_gather_is_drawn_from_the_child_that_ended_it_to_the_parent(native):
    answer = traced(native, asyncio_is_machinery=True)
    session = TraceSession(TraceView(hide_internal=True, window_s=5))
    arrows = make_trace_figure(session.feed(answer), session, "en").data[trace_index("done", 0)]
    lines = list(zip(arrows.y[0::3], arrows.y[1::3], arrows.hovertext[0::3], strict=True))
    # leaf-4 ended last: gather's done callback (hidden) then completed what boss awaited
    through = [(a, b, text.split("<br>")[-1]) for a, b, text in lines if "via" in text]
    assert through == [("leaf-4", "boss", "via library code: gather.<locals>._done_callback")]
    assert ("leaf-1", "callbacks") in [(a, b) for a, b, _ in lines]  # the app's own callback, drawn as before
