"""The tracer's numbers: what each column of its rings holds, shared by the C hot path
(``_looptrace.c``, which is handed the columns in this order), the Python hot path
(``hotpath``) and the reader (``tracer``), whose passes over many rows are in C too when
built (``_looptrace_read.c``), each with its Python twin here (but ``json_rows``, whose
counterpart is ``json.dumps``: ``answer.Answer.json``)."""

from __future__ import annotations

import asyncio
import os
import struct
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from concurrent.futures import Future as ConcurrentFuture
from itertools import compress
from operator import sub
from typing import Any, NamedTuple

from services.tracing.links import DONE_LINK, MADE_LINK

try:  # the C hot path and reader's passes, built by scripts/build_ext.py; shared with ``tracer``
    from services.tracing import _looptrace as _looptrace  # type: ignore[attr-defined]  # C: no stubs
except ImportError:  # not built: their Python twins (hotpath, CallbackRing.scan's and take's passes)
    _looptrace = None

DEFAULT_CAPACITY = 200_000  # callback rows (≈ 10 MB of columns)
TASK_CAPACITY = 50_000  # task records kept for naming
LAG_CAPACITY = 10_000  # loop-lag probe samples
SLOW_NS = 100_000_000  # a callback this long is slow (asyncio debug mode's default)

# How a callback was scheduled; DONE_CALLBACK: call_soon of a future's done callback.
SOON, THREADSAFE, TIMER, DONE_CALLBACK = 0, 1, 2, 3
KIND_NAMES = ("call_soon", "call_soon_threadsafe", "call_later", "done callback")

# How a task ended (0: not yet).
RUNNING, DONE, CANCELLED, RAISED = 0, 1, 2, 3
OUTCOMES = ("pending", "done", "cancelled", "raised")

# The tracer's "box": three counters both hot paths share (the C module's enum matches).
NEXT_SEQ, RUNNING_SEQ, NEXT_SERIAL = (
    0,
    1,
    2,
)  # the next row's seq; the running callback's (-1: none); the next task serial

# A packed row's and link's numbers (``CallbackRing.take``; a link's kind: ``links``).
ROW_WIDTH, LINK_WIDTH = 7, 4  # seq kind start end late task key; kind seq from_seq at_ns
_ROW = struct.Struct(f"{ROW_WIDTH}q")

FUTURE_TYPES = (asyncio.Future, ConcurrentFuture)  # a done callback's first argument is one of these
ASYNCIO_DIR = os.path.dirname(asyncio.__file__)


class Callback(NamedTuple):
    """One callback the loop ran (or has yet to run: ``start_ns`` 0)."""

    seq: int
    kind: int  # SOON, THREADSAFE, TIMER or DONE_CALLBACK
    scheduled_ns: int  # when call_soon / call_at was called
    due_ns: int  # when it was asked to run (timers), else the scheduling time
    start_ns: int
    end_ns: int
    task: int  # the task it stepped (its serial), or 0 for a plain callback
    parent: int  # seq of the callback that scheduled it, or -1 (another thread, or none)
    code: int  # key of the callback's code object (see ``name_of``)

    @property
    def late_ns(self) -> int:
        return self.start_ns - self.due_ns

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


class Taken(NamedTuple):
    """The rows of one answer, read off the ring in one pass (``CallbackRing.take``)."""

    rows: bytes  # ROW_WIDTH int64 a row: seq, kind, start_ns, end_ns, late_ns (≥ 0), task, key
    keys: list[tuple[int, int, int]]  # key → (task, code (0 for a task's step), its first row's seq)
    links: bytes  # LINK_WIDTH int64 a link ending at one of the rows (``links``)
    longs: list[int]  # the rows (their index) that ran ``long_ns`` or longer

    @property
    def row_count(self) -> int:
        """How many rows it holds (``len`` is the tuple's own, four fields: a Taken is always true;
        ``count`` is the tuple's too)."""
        return len(self.rows) // _ROW.size

    def row(self, i: int) -> tuple[int, ...]:
        return _ROW.unpack_from(self.rows, i * _ROW.size)


CALLBACK_COLUMNS = ("seq", "kind", "scheduled", "due", "start", "end", "task", "parent", "code")
# parent: the serial of the task whose step made it (0: none, or made before tracing began)
TASK_COLUMNS = ("serial", "created", "lasti", "ended", "outcome", "parent")
TASK_LISTS = ("coro", "site", "name")  # code object (or type), code object, str


def _column(capacity: int) -> array[int]:
    return array("q", bytes(8 * capacity))


class Ring:
    """Preallocated int64 columns of one ring, row = key % capacity, in the order their names
    are given: the C hot path is handed ``columns`` and writes the same rows."""

    def __init__(self, capacity: int, names: tuple[str, ...]) -> None:
        self.capacity = capacity
        self.columns = tuple(_column(capacity) for _ in names)


class CallbackRing(Ring):
    """The callback rows (``CALLBACK_COLUMNS``)."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, CALLBACK_COLUMNS)
        (self.seq, self.kind, self.scheduled, self.due, self.start, self.end, self.task, self.parent, self.code) = (
            self.columns
        )

    def callback(self, seq: int, include_pending: bool = False) -> Callback | None:
        """Row ``seq`` (None: overwritten since, or not yet started and ``include_pending`` off)."""
        row = seq % self.capacity
        if self.seq[row] != seq or (not include_pending and self.start[row] == 0):
            return None
        return Callback(
            seq,
            self.kind[row],
            self.scheduled[row],
            self.due[row],
            self.start[row],
            self.end[row],
            self.task[row],
            self.parent[row],
            self.code[row],
        )

    def task_of(self, seq: int) -> int:
        """The task row ``seq`` steps (0: a plain callback's, none (-1), or overwritten since)."""
        row = seq % self.capacity
        return self.task[row] if seq >= 0 and self.seq[row] == seq else 0

    def scan(self, first: int, stop: int, slow_ns: int, ended_after_ns: int = 0) -> tuple[int, list[int]]:
        """How many rows with ``first <= seq < stop`` have finished (after ``ended_after_ns``),
        and the seqs of all finished ones that ran ``slow_ns`` or longer, read from the columns
        without building a row each (a reader passing over rows it will not send still finds
        the slow ones among them). In C when built, the GIL released (200,000 rows: 22 ms of
        the GIL in Python, taken from the traced loop's thread when an agent answers). A
        running row's end is 0: never slow."""
        finished, slow = 0, list[int]()
        floor = max(ended_after_ns, 1)
        while first < stop:
            row = first % self.capacity
            end_row = min(row + stop - first, self.capacity)
            if _looptrace is not None:
                count, found = _looptrace.scan(self.seq, self.start, self.end, row, end_row, slow_ns, floor)
                finished, slow = finished + count, slow + found
            else:
                ends = self.end[row:end_row]
                finished += sum(map(floor.__le__, ends)) if ended_after_ns > 0 else len(ends) - ends.count(0)
                slow += compress(self.seq[row:end_row], map(slow_ns.__le__, map(sub, ends, self.start[row:end_row])))
            first += end_row - row
        return finished, slow


class TaskRing(Ring):
    """The task records (``TASK_COLUMNS``), and per task its code objects and final name
    (``TASK_LISTS``, Python lists: they hold objects)."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity, TASK_COLUMNS)
        self.serial, self.created, self.lasti, self.ended, self.outcome, self.parent = self.columns
        self.lists: tuple[list[Any], list[Any], list[str | None]] = (
            [None] * capacity,
            [None] * capacity,
            [None] * capacity,
        )
        self.coro, self.site, self.name = self.lists


class LagRing:
    """The lag probe's samples, (when, how late it woke) in ns, the newest ``LAG_CAPACITY``."""

    def __init__(self) -> None:
        self.pairs = array("q", bytes(8 * 2 * LAG_CAPACITY))
        self.count = 0  # samples taken

    def add(self, at_ns: int, lag_ns: int) -> None:
        i = (self.count % LAG_CAPACITY) * 2
        self.pairs[i], self.pairs[i + 1] = at_ns, lag_ns
        self.count += 1

    def since(self, since_ns: int) -> list[tuple[int, int]]:
        """The samples taken at ``since_ns`` or later, oldest first, found by bisection (a reader
        asking for the last seconds each second does not read the whole ring)."""
        n, pairs = self.count, self.pairs
        oldest = n - min(n, LAG_CAPACITY)
        first = oldest + bisect_left(range(oldest, n), since_ns, key=lambda i: pairs[(i % LAG_CAPACITY) * 2])
        return [(pairs[j], pairs[j + 1]) for j in ((i % LAG_CAPACITY) * 2 for i in range(first, n))]


def take(ring: CallbackRing, tasks: TaskRing, first: int, stop: int, floor: int, long_ns: int) -> Taken:
    """The finished rows with ``first <= seq < stop`` that ended at ``floor`` or later, packed,
    each with its naming key (one per task, and per code of a plain callback); the links ending
    at them (``links``); which ran ``long_ns`` or longer. In C when built, the GIL released
    (6,000 rows: 0.1 ms; as ``Callback`` objects they held the GIL 5–9 ms, taken from the
    traced loop's thread when an agent answers)."""
    if _looptrace is not None:
        return Taken(*_looptrace.take(ring.columns, tasks.columns, first, stop, floor, long_ns))
    rows, links, longs, keys = array("q"), array("q"), list[int](), dict[tuple[int, int], int]()
    firsts: list[int] = []
    for at, seq, kind, scheduled, due, start, end, task, parent, code in _rows(ring, first, stop):
        if seq != at or not end or not start or end < floor:
            continue
        key = keys.setdefault((task, 0 if task else code), len(keys))
        if key == len(firsts):
            firsts.append(seq)
        if end - start >= long_ns:
            longs.append(len(rows) // ROW_WIDTH)
        rows.extend((seq, kind, start, end, max(0, start - due), task, key))
        t = task % tasks.capacity
        if parent >= 0 and kind == DONE_CALLBACK:
            links.extend((DONE_LINK, seq, parent, scheduled))
        elif parent >= 0 and task > 0 and kind == SOON and tasks.serial[t] == task and tasks.parent[t]:
            if tasks.created[t] >= scheduled:
                links.extend((MADE_LINK, seq, parent, tasks.created[t]))
    return Taken(rows.tobytes(), [(*key, seq) for key, seq in zip(keys, firsts, strict=True)], links.tobytes(), longs)


def _rows(ring: CallbackRing, first: int, stop: int) -> Iterator[tuple[int, ...]]:
    """(the seq its row should hold, then the row's columns) for ``first <= seq < stop``,
    read a slice of each column at a time (once or twice: the ring may wrap)."""
    while first < stop:
        row = first % ring.capacity
        end_row = min(row + stop - first, ring.capacity)
        yield from zip(
            range(first, first + end_row - row), *(column[row:end_row] for column in ring.columns), strict=True
        )
        first += end_row - row
