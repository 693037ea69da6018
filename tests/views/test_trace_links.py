"""The timeline's links as the page gets them: a line per link whose two rows are drawn,
at most a chunk's worth of the newest per answer, the rest counted in the legend; the live
page's Patch extends them like every other series."""

from __future__ import annotations

import pytest

from services.tracing.links import DONE_LINK, MADE_LINK
from services.tracing.view import LINKS_PER_ANSWER, TraceSession, TraceView, trace_index
from tests.views.helpers import operations
from tests.views.test_tracing_views import answer, row, wall_ms
from views.tracing import ARROW, make_trace_figure, make_trace_patch


def made(seq: int, source: int, at_ms: float) -> list[int]:
    return [MADE_LINK, seq, source, int(at_ms * 1e6)]


def test_a_link_is_drawn_only_between_rows_that_are_drawn():
    session = TraceSession(TraceView(window_s=15))
    rows = [row(1, 10, 2.0, "main"), row(2, 30, 0.1, "fetch lhasa"), row(3, 40, 0.1, "trace", internal=True)]
    rows[0][5] = 3  # main's task serial (the others': 7)
    links = [made(2, 1, 11), made(3, 1, 11.5), [DONE_LINK, 2, 99, int(12e6)]]  # to a hidden row; from one never seen
    update = session.feed({**answer(rows, 3, 1000), "links": links})
    line = make_trace_figure(update, session, "en").data[trace_index("made", 0)]
    assert list(line.x[:2]) == pytest.approx([wall_ms(11), wall_ms(30)]) and line.x[2] is None
    assert line.y == ("main", "fetch lhasa", None)  # from the making step, when, to the first step
    assert line.marker.size == (0, ARROW, 0)
    assert line.customdata[:2] == (3, 7)  # a click on either end inspects the task of that end's lane
    assert not update.points["done"]


def test_a_flood_of_links_draws_the_newest_and_the_legend_counts_the_rest():
    session = TraceSession(TraceView(window_s=15, lang="en"))
    session.feed(answer([row(0, 0, 1.0, "main")], 0, 100))
    n = LINKS_PER_ANSWER + 50
    rows = [row(1 + i, 200 + i, 0.1, f"leaf-{i}") for i in range(n)]
    update = session.feed({**answer(rows, n, 1000), "links": [made(1 + i, 0, 0.5) for i in range(n)]})
    assert len(update.points["made"]) == 3 * LINKS_PER_ANSWER
    assert update.points["made"].y[1] == "leaf-50"  # the newest kept
    ops = operations(make_trace_patch(update, 15))
    names = {location: value for kind, location, value in ops if location[-1] == "name"}
    assert names == {("data", trace_index("made", 0), "name"): "made by (parent → first step) · 50 more not drawn"}
    extended = {location: value for kind, location, value in ops if kind == "Extend"}
    assert extended[("data", trace_index("made", 0), "marker", "size")] == [0, ARROW, 0] * LINKS_PER_ANSWER
    later = session.feed(answer([row(n + 1, 20_000, 0.1, "main")], n + 1, 20_000))  # 15 s on: out of the window
    assert later.legend == {"made": "made by (parent → first step)"}


def test_a_chain_through_hidden_rows_is_one_line_even_across_answers():
    session = TraceSession(TraceView(window_s=15, lang="zh"))
    hidden = [row(2 + i, 20 + i, 0.1, "callbacks", internal=True) for i in range(5)]
    for i, r in enumerate(hidden):
        r[5], r[7] = 0, f"lib_{i}"  # plain callbacks of library code
    chain = [[DONE_LINK, 2, 1, int(10.5e6)]] + [[DONE_LINK, 3 + i, 2 + i, int((20 + i) * 1e6)] for i in range(4)]
    first = session.feed({**answer([row(1, 10, 1.0, "producer"), *hidden], 6, 100), "links": chain})
    assert not first.points["done"]  # it has not reached a drawn row yet
    later = session.feed({**answer([row(7, 40, 0.1, "consumer")], 7, 200), "links": [[DONE_LINK, 7, 6, int(30e6)]]})
    done = later.points["done"]
    assert done.y == ["producer", "consumer", None] and done.x[0] == pytest.approx(wall_ms(10.5))  # when it began
    assert done.text[0].endswith("<br>经由库代码：… → lib_2 → lib_3 → lib_4")  # the newest three it went through
