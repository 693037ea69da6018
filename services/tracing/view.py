"""What the Trace page shows, from the trace service's answers: timeline points per series,
the slow-callback table and counters, their words in the page's language (a new language
is a new picture). No Dash here; ``views.tracing`` draws it.

The timeline is pushed incrementally, like the Live page: each series has two traces
("chunks"). Links between rows (``links``: a task made by another's step, a done callback
and the row that completed its future) are two series more, one line each with a break
between links; each keeps at most ``LINKS_PER_ANSWER`` links of an answer (the newest), so
the figure holds at most twice that of a kind, and the legend counts those not drawn.

New points go to the head chunk; when it is full, the other chunk — by then
the oldest points — is replaced by the new ones and becomes the head. One assignment
bounds the figure, instead of deleting old points one Patch operation each.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from services.core.i18n import DEFAULT_LANG, LANGS, t
from services.tracing.agents import OWN_LOOPS, known_loop
from services.tracing.columns import DONE_CALLBACK, KIND_NAMES
from services.tracing.limits import SLOW_FLOOR_MS, SLOW_KEPT
from services.tracing.links import DONE_LINK, LINK_AT, LINK_FROM, LINK_KIND, LINK_SEQ, MADE_LINK
from services.tracing.tracks import Tracks

SERIES = ("ticks", "busy", "slow", "jobs", "lag", "made", "done")
LINK_SERIES = ("made", "done")  # by a link's kind (``links.MADE_LINK``, ``links.DONE_LINK``)
# Points per chunk (a line segment takes 3: start, end, gap); the figure holds at most 2×.
CHUNK = {"ticks": 3000, "busy": 3000, "slow": 600, "jobs": 900, "lag": 1500, "made": 300, "done": 300}
LINKS_PER_ANSWER = 100  # links of a kind one answer adds at most (a chunk's worth)
WINDOWS_S = (5, 15, 60)
LOOPS = OWN_LOOPS  # the app's own loops a page can trace (and agents: ``services.tracing.agents``)
FOCUS_KEPT = 50  # the rows a finding points at that a page highlights
BUSY_NS = 500_000  # a callback this long also gets a bar, not only a tick
SLOW_SHOWN = 15
SPANS_KEPT = 20_000  # rows a page remembers where they were drawn (to highlight a finding's)
JOBS_KEPT = 2000
SLOW_MARKS_MS = (1, 10, 50, 100, 250, 500, 1000)  # the slow threshold's choices
STEP = "step "  # how the tracer names a task's step: this, then the task's coroutine (Tracer.name_of)


VIA_SHOWN = 3  # hidden callbacks a chain names (the newest; "…" before them if it went through more)
Span = tuple[float, float, str, int]  # where a row was drawn: start ms, end ms, lane, task
Began = tuple[Span, float, tuple[str, ...]]  # a chain's first drawn row, when it began, what it went through

# A row of the trace service: see answer.page_row (an agent's slow rows add where it was stuck).
SEQ, KIND, START, END, LATE, TASK, LANE, NAME, INTERNAL, CULPRIT = range(10)


def trace_index(series: str, chunk: int) -> int:
    return 2 * SERIES.index(series) + chunk


def kind_name(kind: int, lang: str) -> str:
    """How a callback was scheduled: asyncio's own name, or words for a done callback."""
    return t("trace.kind.done", lang) if kind == DONE_CALLBACK else KIND_NAMES[kind]


def lane_of(row: list[Any], lang: str) -> str:
    """A row's lane: its task's name, or the lane of plain callbacks (not a task's)."""
    return row[LANE] if row[TASK] else t("trace.lane.plain", lang)


def name_of(row: list[Any], lang: str) -> str:
    """A row's callback: a task's step says so in ``lang``; other names are code's own."""
    name = str(row[NAME])
    return t("trace.step", lang, coro=name[len(STEP) :]) if row[TASK] and name.startswith(STEP) else name


@dataclass(frozen=True)
class TraceView:
    """The page's settings, as its store holds them."""

    loop: str = "collector"  # one of LOOPS, or an agent's (``services.tracing.agents``)
    window_s: int = 15
    hide_internal: bool = True
    slow_ms: float = 100.0
    paused: bool = False
    stream: int = 0  # the number of the stream meant to serve the page
    lang: str = DEFAULT_LANG  # the page's language: the words in the picture
    focus: tuple[int, ...] = ()  # the rows (seqs) a finding points at, highlighted

    @classmethod
    def from_store(cls, data: dict[str, Any] | None) -> TraceView:
        data = data or {}
        window = data.get("window_s")
        slow = data.get("slow_ms")
        return cls(
            loop=known_loop(data.get("loop")),
            window_s=window if window in WINDOWS_S else 15,
            hide_internal=bool(data.get("hide_internal", True)),
            slow_ms=slow if slow in SLOW_MARKS_MS else 100,
            paused=bool(data.get("paused")),
            stream=int(data.get("stream") or 0),
            lang=data["lang"] if data.get("lang") in LANGS else DEFAULT_LANG,
            focus=focus_of(data.get("focus")),
        )

    def same_picture(self, other: TraceView) -> bool:
        return (self.loop, self.window_s, self.hide_internal, self.slow_ms, self.lang) == (
            other.loop,
            other.window_s,
            other.hide_internal,
            other.slow_ms,
            other.lang,
        )


def focus_of(seqs: Any) -> tuple[int, ...]:
    """The row seqs a store says to highlight (whole numbers only, at most ``FOCUS_KEPT``)."""
    if not isinstance(seqs, list):
        return ()
    return tuple(s for s in seqs if isinstance(s, int) and not isinstance(s, bool))[:FOCUS_KEPT]


@dataclass
class Points:
    x: list[Any] = field(default_factory=list)
    y: list[Any] = field(default_factory=list)
    text: list[Any] = field(default_factory=list)
    custom: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.x)

    def add(self, x: Any, y: Any, text: Any = None, custom: Any = None) -> None:
        self.x.append(x)
        self.y.append(y)
        self.text.append(text)
        self.custom.append(custom)

    def link(self, start: tuple[Any, Any], end: tuple[Any, Any], text: str, custom: tuple[Any, Any]) -> None:
        """A line from (x, y) ``start`` to ``end`` (None breaks the line before the next one);
        ``custom``: each end's."""
        for (x, y), mine in zip((start, end, (None, None)), (*custom, None), strict=True):
            self.add(x, y, text if x is not None else None, mine)

    def drop_oldest(self, n: int) -> None:
        for values in (self.x, self.y, self.text, self.custom):
            del values[:n]

    def segment(self, x0: Any, x1: Any, y: Any, text: str, custom: Any) -> None:
        """A bar from x0 to x1 on lane y (None breaks the line before the next one)."""
        for x in (x0, x1, None):
            self.add(x, y if x is not None else None, text, custom)


@dataclass
class Update:
    """New points per series; ``fresh`` series go to a new head chunk that replaces the old."""

    points: dict[str, Points]
    chunks: dict[str, int]
    fresh: set[str]
    end_ms: float
    slow_changed: bool
    legend: dict[str, str] = field(default_factory=dict)  # link series whose legend name changed


class TraceSession:
    """One page's view of the trace: feed it the service's answers in order."""

    def __init__(self, view: TraceView) -> None:
        self.view = view
        self.cursor = -1
        self.pid = 0
        self.stats: dict[str, Any] = {}
        self.limits: list[str] = []
        self.end_ms = 0.0
        self.tracks = Tracks()  # an agent's queues, locks … and executor jobs
        self.slow: deque[list[Any]] = deque(maxlen=SLOW_KEPT)
        self._offset_ns = 0
        self._heads = {s: [0, 0] for s in SERIES}  # series → [head chunk, points in it]
        self._jobs: OrderedDict[int, None] = OrderedDict()
        self._lag_after = 0
        self.spans: OrderedDict[int, Span] = OrderedDict()  # seq → where it was drawn
        self.spans_dropped = 0  # rows (and ``_through`` entries) forgotten to keep the caps
        # a hidden row (library code) reached by a link from a drawn one → where that chain
        # began (its span, when) and the hidden callbacks it went through
        self._through: OrderedDict[int, Began] = OrderedDict()
        self.legend: dict[str, str] = {}  # link series → its legend name, as last given
        self._held = {s: [list[float](), list[float]()] for s in LINK_SERIES}  # links' start (ms) per chunk
        self._undrawn = {s: deque[float](maxlen=SPANS_KEPT) for s in LINK_SERIES}  # those not in the figure

    def ms(self, ns: int) -> float:
        """The page's clock (wall-clock epoch ms) of a time on the traced machine."""
        return self._ms(ns)

    def _ms(self, ns: int) -> float:
        """perf_counter ns of the traced machine → wall-clock epoch ms (the page's x axis)."""
        return (ns + self._offset_ns) / 1e6

    def feed(self, answer: dict[str, Any]) -> Update:
        first = self.cursor < 0
        self._offset_ns = int(answer["wall_offset_ns"])
        self.pid = int(answer["pid"])
        self.limits = [str(key) for key in answer.get("limits") or ()][:10]  # what an agent cannot see here
        self.tracks.feed(answer.get("primitives"))
        self.end_ms = self._ms(int(answer["now_ns"]))
        self.cursor = int(answer["cursor"])
        known = {key: value for key, value in answer["stats"].items() if value is not None}  # None: not yet
        self.stats = {**self.stats, **known, "skipped": answer.get("skipped", 0)}
        points = {s: Points() for s in SERIES}
        slow_ns = self.view.slow_ms * 1e6
        slow_changed = first
        if first:
            for row in answer.get("slow", ()):
                self.slow.append(row)
                self._remember(row, lane_of(row, self.view.lang))
        lang = self.view.lang
        for row in answer["rows"]:
            if self.view.hide_internal and row[INTERNAL]:
                continue
            duration, lane = row[END] - row[START], lane_of(row, lang)
            text = t(
                "trace.hover.callback",
                lang,
                name=name_of(row, lang),
                lane=lane,
                ms=f"{duration / 1e6:.3f}",
                late=f"{row[LATE] / 1e6:.3f}",
                kind=kind_name(row[KIND], lang),
            )
            self._remember(row, lane)
            points["ticks"].add(self._ms(row[START]), lane, text, row[TASK])
            if duration >= slow_ns:
                points["slow"].segment(self._ms(row[START]), self._ms(row[END]), lane, text, row[TASK])
            elif duration >= BUSY_NS:
                points["busy"].segment(self._ms(row[START]), self._ms(row[END]), lane, text, row[TASK])
            if duration >= SLOW_FLOOR_MS * 1e6 and not first:
                self.slow.append(row)
                slow_changed = True
        self._add_links(points, answer.get("links") or (), {row[SEQ]: row for row in answer["rows"]})
        self._add_jobs(points["jobs"], answer["jobs"])
        for at, lag in answer["lag"]:
            if at > self._lag_after:
                points["lag"].add(self._ms(at), round(lag / 1e6, 3))
                self._lag_after = at
        chunks, fresh = self._place(points, first)
        self._hold_links(points, chunks, fresh)
        return Update(points, chunks, fresh, self.end_ms, slow_changed, self._legend_changes())

    def _remember(self, row: list[Any], lane: str) -> None:
        self.spans[row[SEQ]] = (self._ms(row[START]), self._ms(row[END]), lane, row[TASK])
        if len(self.spans) > SPANS_KEPT:
            self.spans.popitem(last=False)
            self.spans_dropped += 1

    def focused(self) -> list[tuple[float, float, str]]:
        """Where the rows the view focuses on were drawn (those still remembered)."""
        return [self.spans[seq][:3] for seq in self.view.focus if seq in self.spans]

    def _add_links(self, points: dict[str, Points], links: Any, rows: dict[int, list[Any]]) -> None:
        """A line per link whose two rows were drawn, from the moment it was made in the
        first row to the second's start; the newest ``LINKS_PER_ANSWER`` of a kind. With
        library code hidden, a chain through it (a gather's done callback, say) is one line
        from the drawn row it began in to the drawn row it reached, naming what it went through."""
        lang = self.view.lang
        for link in links:
            if link[LINK_KIND] not in (MADE_LINK, DONE_LINK):
                continue
            start, at = self.spans.get(link[LINK_FROM]), self._ms(link[LINK_AT])
            via: tuple[str, ...] = ()
            if start is None and (through := self._through.get(link[LINK_FROM])):
                start, at, via = through
            if start is None:
                continue
            end, row = self.spans.get(link[LINK_SEQ]), rows.get(link[LINK_SEQ])
            if end is None:
                if row is not None and row[INTERNAL] and self.view.hide_internal:
                    self._pass_through(link[LINK_SEQ], (start, at, (*via, name_of(row, lang))))
                continue
            if link[LINK_KIND] == MADE_LINK:
                text = t("trace.hover.made", lang, parent=start[2], child=end[2])
            else:
                callback = name_of(row, lang) if row else "?"
                text = t("trace.hover.done", lang, source=start[2], callback=callback, lane=end[2])
            if via:
                text += "<br>" + t("trace.hover.via", lang, names=" → ".join(via))
            # a click on either end inspects the task of its lane
            points[LINK_SERIES[link[LINK_KIND]]].link((at, start[2]), (end[0], end[2]), text, (start[3], end[3]))
        for series in LINK_SERIES:
            if (extra := len(points[series]) - 3 * LINKS_PER_ANSWER) > 0:
                self._undrawn[series].extend(points[series].x[0:extra:3])
                points[series].drop_oldest(extra)

    def _pass_through(self, seq: int, began: Began) -> None:
        """Remember that the hidden row ``seq`` continues the chain ``began`` (naming the newest
        ``VIA_SHOWN`` hidden callbacks of it)."""
        start, at, via = began
        self._through[seq] = (start, at, via if len(via) <= VIA_SHOWN else ("…", *via[-VIA_SHOWN:]))
        if len(self._through) > SPANS_KEPT:
            self._through.popitem(last=False)
            self.spans_dropped += 1

    def _hold_links(self, points: dict[str, Points], chunks: dict[str, int], fresh: set[str]) -> None:
        """Which links each chunk holds (their start): a chunk replaced takes its links out."""
        for series in LINK_SERIES:
            if series not in chunks:
                continue
            held, starts = self._held[series], points[series].x[0::3]
            if series in fresh:
                self._undrawn[series].extend(held[chunks[series]])
                held[chunks[series]] = starts
            else:
                held[chunks[series]].extend(starts)

    def _legend_changes(self) -> dict[str, str]:
        """Each link series' legend name — with how many of its links in the window are not
        drawn, if any — when it changed."""
        since, lang = self.end_ms - self.view.window_s * 1000, self.view.lang
        changed = {}
        for series in LINK_SERIES:
            undrawn = self._undrawn[series]
            while undrawn and undrawn[0] < since:
                undrawn.popleft()
            # mostly in time order: a replaced chunk's links come after newer ones left out
            n, name = sum(at >= since for at in undrawn), t(f"trace.link.{series}", lang)
            name = t("trace.link.more", lang, name=name, n=n) if n else name
            if self.legend.get(series) != name:
                changed[series] = self.legend[series] = name
        return changed

    def _add_jobs(self, jobs: Points, rows: list[list[Any]]) -> None:
        """Finished pool jobs not drawn yet, one bar each on their worker's lane."""
        for job in rows:
            number, name, _submitted, start, end, pid = job[:6]
            if number in self._jobs or not end:
                continue
            self._jobs[number] = None
            if len(self._jobs) > JOBS_KEPT:
                self._jobs.popitem(last=False)
            lang = self.view.lang
            text = t("trace.hover.job", lang, name=name, number=number, pid=pid, ms=f"{(end - start) / 1e6:.1f}")
            jobs.segment(self._ms(start), self._ms(end), t("trace.lane.worker", lang, pid=pid), text, 0)

    def _place(self, points: dict[str, Points], first: bool) -> tuple[dict[str, int], set[str]]:
        """Which chunk trace each series' new points go to, and the series whose chunks start
        afresh (the first answer, or a head chunk that is full: the pair takes turns)."""
        chunks: dict[str, int] = {}
        fresh: set[str] = set()
        for series, pts in points.items():
            if not pts and not first:
                continue
            head = self._heads[series]
            if first:
                head[:] = [0, len(pts)]
                fresh.add(series)
            elif head[1] + len(pts) > CHUNK[series]:
                head[:] = [1 - head[0], len(pts)]
                fresh.add(series)
            else:
                head[1] += len(pts)
            chunks[series] = head[0]
        return chunks, fresh

    def slow_rows(self) -> list[dict[str, Any]]:
        """The slowest-recent table: callbacks at least ``view.slow_ms`` long, newest first."""
        threshold = self.view.slow_ms * 1e6
        rows = [
            r
            for r in reversed(self.slow)
            if r[END] - r[START] >= threshold and not (self.view.hide_internal and r[INTERNAL])
        ]
        lang = self.view.lang
        return [
            {
                "at_ms": self._ms(r[START]),
                "lane": lane_of(r, lang),
                "name": name_of(r, lang),
                "task": r[TASK],
                "ms": round((r[END] - r[START]) / 1e6, 1),
                "late_ms": round(r[LATE] / 1e6, 1),
                "kind": kind_name(r[KIND], lang),
                "seq": r[SEQ],
                "culprit": r[CULPRIT] if len(r) > CULPRIT and isinstance(r[CULPRIT], dict) else None,
            }
            for r in rows[:SLOW_SHOWN]
        ]
