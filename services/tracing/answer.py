"""One answer of ``GET /trace``: how a hub makes it (``Answering``, the half of ``TraceHub``
that names the rows a page has not had and keeps the slow ones for a new page), its fields
in the order pages read them, its rows and links still packed as the reader's pass took
them off the ring (``columns.take``), and two ways to hand it over:

- ``as_dict()``: Python lists, for a reader in this process (a recording, tests);
- ``json()``: the route's body, the same text ``json.dumps(as_dict())`` makes; with the C
  module built, the rows' text is written in C with the GIL released, each row's names
  spliced in from one JSON fragment per naming key (an answer's 6,000 rows step a few
  hundred tasks and callbacks, or under a web server's load a task per request, a few
  thousand), so the traced loop's thread is not held back for the rows.
"""

from __future__ import annotations

import json
import time
from array import array
from collections import deque
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii
from typing import Any

from services.tracing.columns import LINK_WIDTH, ROW_WIDTH, Callback, Taken, _looptrace
from services.tracing.limits import MAX_WINDOW_S, SLOW_FLOOR_MS, SLOW_KEPT
from services.tracing.pool import Job
from services.tracing.records import Statistics, step_name
from services.tracing.tracer import LoopTracer

MAX_ROWS = 6000  # rows one answer carries at most (the newest are kept)
SLOW_FLOOR_NS = int(SLOW_FLOOR_MS * 1e6)
INTERNAL_KEPT = 20_000  # cached "is this loop machinery?" answers

Named = tuple[str, str, bool]  # a row's lane, name and whether it is loop machinery
KEY = ROW_WIDTH - 1  # a packed row's last number, its naming key: a page reads its names instead


def page_row(numbers: Sequence[int], named: Named, extra: Any = None) -> list[Any]:
    """A row as pages read it (``view.SEQ`` … ``view.CULPRIT``): a packed row's numbers but its
    key (seq, kind, start, end, late, task), its names, then its last field if it has one."""
    row = [*numbers[:KEY], *named]
    if extra is not None:
        row.append(extra)
    return row


class Answer:
    """``head`` (pid … cursor), then rows and links, then ``tail`` (skipped … and whatever a
    subclass of the hub adds); ``named[key]`` names the rows of a key, ``extras[i]`` is the
    last field of row ``i`` when it has one (where an agent's long row was stuck)."""

    def __init__(
        self, head: dict[str, Any], taken: Taken, named: list[Named], extras: dict[int, Any], tail: dict[str, Any]
    ) -> None:
        self.head, self.taken, self.named, self.extras, self.tail = head, taken, named, extras, tail

    def rows(self) -> list[list[Any]]:
        numbers = array("q")
        numbers.frombytes(self.taken.rows)
        named, extras = self.named, self.extras
        packed = zip(*[iter(numbers)] * ROW_WIDTH, strict=True)
        return [page_row(row, named[row[KEY]], extras.get(i)) for i, row in enumerate(packed)]

    def links(self) -> list[list[int]]:
        numbers = array("q")
        numbers.frombytes(self.taken.links)
        return [list(link) for link in zip(*[iter(numbers)] * LINK_WIDTH, strict=True)]

    def as_dict(self) -> dict[str, Any]:
        return {**self.head, "rows": self.rows(), "links": self.links(), **self.tail}

    def json(self) -> bytes:
        """``json.dumps(self.as_dict())``, encoded (ASCII: ``ensure_ascii``)."""
        if _looptrace is None:
            return json.dumps(self.as_dict()).encode()
        text = encode_basestring_ascii  # json.dumps's own for a str: the same text, a tenth of the time
        fragments = tuple(f"{text(lane)}, {text(name)}, {'true' if inside else 'false'}".encode()
                          for lane, name, inside in self.named)  # fmt: skip
        extras = tuple((i, json.dumps(extra).encode()) for i, extra in self.extras.items())
        rows = _looptrace.json_rows(self.taken.rows, ROW_WIDTH, fragments, extras)
        links = _looptrace.json_rows(self.taken.links, LINK_WIDTH, None, ())
        head, tail = json.dumps(self.head).encode(), json.dumps(self.tail).encode()
        return b"".join((head[:-1], b', "rows": ', rows, b', "links": ', links, b", ", tail[1:]))


class Answering:
    """What ``TraceHub`` answers a page with (``answer``, as lists ``poll``, as JSON
    ``poll_body``), and what it keeps between answers to do so; the hub says what a row is
    (``lane``, ``internal``: machinery or not) and what it has besides rows (``_jobs``)."""

    yield_keys = 0  # answered on the loop's own thread: nobody to let the GIL go to
    tracer: LoopTracer
    row_cost_ns: float

    def __init__(self, coroutine_machinery: bool) -> None:
        self._coroutine_machinery = coroutine_machinery
        self._by_coroutine: dict[tuple[Any, bool], bool] = {}
        self._slow: deque[list[Any]] = deque(maxlen=SLOW_KEPT)
        self._slow_after = -1
        self._sent = (0, time.perf_counter_ns())  # (recorded, when) at the last answer

    def watched(self) -> None:
        raise NotImplementedError  # the hub's, as are the three below

    def lane(self, c: Callback) -> str:
        raise NotImplementedError

    def internal(self, c: Callback) -> bool:
        raise NotImplementedError

    def _jobs(self) -> list[Job]:
        raise NotImplementedError

    def _named(self, c: Callback, names: dict[tuple[int, int], Named]) -> Named:
        """A row's lane, name and whether it is machinery; ``names`` memoises them within one
        answer (its rows mostly step the same few tasks and callbacks)."""
        key = (c.task, 0 if c.task else c.code)
        named = names.get(key)
        if named is None:
            named = names[key] = (self.lane(c), self.tracer.name_of(c), self.internal(c))
        return named

    def _extra(self, seq: int, duration_ns: int) -> Any:
        """A row's last field, if it has one (None: it has not; see ``AgentHub``)."""
        return None

    def poll(self, after: int = -1, window_s: float = 10.0) -> dict[str, Any]:
        """``answer`` as Python lists."""
        return self.answer(after, window_s).as_dict()

    def poll_body(self, after: int = -1, window_s: float = 10.0) -> bytes:
        """``answer`` as the JSON the route sends (``json.dumps(poll(...))``, made cheaply)."""
        return self.answer(after, window_s).json()

    def answer(self, after: int = -1, window_s: float = 10.0) -> Answer:
        """Rows after ``after`` (a new page: the last ``window_s`` seconds), newest
        ``MAX_ROWS`` at most, plus jobs, lag and counters. Attaches the tracer if needed."""
        self.watched()
        now = time.perf_counter_ns()
        after = max(after, -1)
        floor = now - window_ns(window_s) if after < 0 else 0
        taken = self.tracer.take(after, MAX_ROWS, floor, SLOW_FLOOR_NS)
        stats = self.tracer.statistics()
        cut = taken.row(0)[0] if taken.row_count else stats.recorded
        skipped, slow = self.tracer.passed_over(after, cut, floor, SLOW_FLOOR_NS)
        names: dict[tuple[int, int], Named] = {}
        named = self._name_keys(taken.keys, names)
        longs = [(i, taken.row(i)) for i in taken.longs]
        extras = {i: x for i, row in longs if (x := self._extra(row[0], row[3] - row[2])) is not None}
        self._keep_slow(slow, longs, named, extras, names)
        last = taken.row(taken.row_count - 1)[0] if taken.row_count else None  # the newest row's seq
        if last is not None or slow:
            self._slow_after = max(self._slow_after, last if last is not None else slow[-1].seq)
        recorded, at = self._sent
        self._sent = (stats.recorded, now)
        # a page's first answer has no rate yet (None: "measuring", not 0 events/s)
        rate = (stats.recorded - recorded) / max((now - at) / 1e9, 1e-3) if after >= 0 else None
        since = answer_since(now, after, window_s)
        head = {
            "pid": self.tracer.pid,
            "now_ns": now,
            "wall_offset_ns": time.time_ns() - time.perf_counter_ns(),
            "cursor": last if last is not None else max(after, stats.recorded - 1),
        }
        tail = {
            "skipped": skipped,
            "jobs": [list(j) for j in self._jobs() if j.end_ns >= since],
            "lag": [[at, lag] for at, lag in self.tracer.lag(since)],
            "slow": list(self._slow) if after < 0 else [],
            "stats": self._stats(stats, rate),
        }
        return Answer(head, taken, named, extras, tail)

    def _name_keys(self, keys: list[tuple[int, int, int]], names: dict[tuple[int, int], Named]) -> list[Named]:
        """Each naming key's names (``_named``), kept in ``names`` too. A hub that answers from
        another thread than its loop's lets the GIL go every ``yield_keys`` keys (see there)."""
        named, every = [], self.yield_keys or len(keys) + 1
        for i, (task, code, seq) in enumerate(keys, 1):
            if task and self._coroutine_machinery:
                named.append(self._task_named(task, seq, names))
            else:
                named.append(self._named(self._first(task, code, seq), names))
            if i % every == 0:
                time.sleep(0)  # releases the GIL: the loop's thread, if waiting, may take it now
        return named

    def _task_named(self, task: int, seq: int, names: dict[tuple[int, int], Named]) -> Named:
        """``_named`` for a task's step, read off the tracer without a row, and machinery asked
        once per coroutine (an answer under load names thousands of tasks, each new)."""
        lane, coro = self.tracer.task_name(task), self.tracer.coro_code(task)
        key = (coro, lane.startswith("looplens:"))
        inside = self._by_coroutine.get(key)
        if inside is None:
            if len(self._by_coroutine) >= INTERNAL_KEPT:
                self._by_coroutine.clear()
            inside = self._by_coroutine[key] = self.internal(self._first(task, 0, seq))
        named = names[task, 0] = (lane, step_name(task, coro), inside)
        return named

    def _first(self, task: int, code: int, seq: int) -> Callback:
        """The row that first had this naming key (what ``machinery`` is shown), or, if the ring
        has overwritten it since, a row with the key and nothing else."""
        return self.tracer.callback(seq) or Callback(seq, 0, 0, 0, 0, 0, task, -1, code)

    def _stats(self, stats: Statistics, rate: float | None) -> dict[str, Any]:
        return {
            "recorded": stats.recorded,
            "dropped": stats.dropped,
            "tasks": stats.tasks,
            "events_per_s": None if rate is None else round(rate, 1),
            "overhead_pct": None if rate is None else round(rate * self.row_cost_ns / 1e7, 4),
            "capacity": stats.capacity,
        }

    def _keep_slow(
        self,
        slow: list[Callback],
        longs: list[tuple[int, tuple[int, ...]]],
        named: list[Named],
        extras: dict[int, Any],
        names: dict[tuple[int, int], Named],
    ) -> None:
        """Keep the slow rows not kept yet: those passed over (``slow``), then the answer's."""
        for c in slow:
            if c.seq > self._slow_after and c.duration_ns >= SLOW_FLOOR_NS:
                numbers = (c.seq, c.kind, c.start_ns, c.end_ns, max(0, c.late_ns), c.task)
                self._slow.append(page_row(numbers, self._named(c, names), self._extra(c.seq, c.duration_ns)))
        for i, row in longs:
            seq, _kind, start, end, *_ = row
            if seq > self._slow_after and end - start >= SLOW_FLOOR_NS:
                self._slow.append(page_row(row, named[row[KEY]], extras.get(i)))


def window_ns(window_s: float) -> int:
    """A page's window, held to 1 s … ``MAX_WINDOW_S``, in ns."""
    return int(min(max(window_s, 1.0), MAX_WINDOW_S) * 1e9)


def answer_since(now: int, after: int, window_s: float) -> int:
    """From when an answer carries jobs, lag and other samples: a new page's whole window,
    a following answer's last 5 s."""
    return now - (window_ns(window_s) if after < 0 else 5_000_000_000)
