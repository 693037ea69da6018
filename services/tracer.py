"""An event-loop tracer: every callback an asyncio loop runs, how it was scheduled, which
task it stepped, and the done-callback links between them — cheap enough to leave on.

How it hooks in: ``attach()`` replaces, on the loop *instance* only, ``call_soon``,
``call_soon_threadsafe``, ``call_at`` (``call_later`` goes through it) and the task
factory. Each scheduled callback is handed to the loop wrapped in ``_run``, which times
it. Task steps and wake-ups reach the loop through ``call_soon`` too (C tasks schedule
their steps by looking the method up on the loop), and their callback's ``__self__`` is
the task, so every step is attributed without asking asyncio anything. Each row also keeps
which callback was running when it was scheduled (its parent); a future's done
callbacks are scheduled with the future as their first argument, so those rows are
marked as done-callback links: "the callback that completed this future scheduled that
one". ``detach()`` puts everything back.

The hot path stores numbers only — sequence numbers, ``perf_counter_ns`` times, ids —
in preallocated ``array`` columns of one ring (``capacity`` rows); tasks get a second ring
(``TASK_CAPACITY``) of numbers plus references to their code objects. Names and stacks are
looked up when a view asks (``task_info``). Rows a reader has not taken before the ring
wrapped are counted as dropped, never silently lost.

The hot path exists twice, with the same rows: in C (``services/_looptrace.c``, built by
``scripts/build_ext.py``; a few hundred ns per callback) and in Python closures below
(about 4 µs per callback), which are used when the C module is not built.

``perf_counter_ns`` is CLOCK_MONOTONIC on Linux, one clock for every process of the
machine, so worker-process times (``TracedPool``) share the axis with the loop's.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import Future as ConcurrentFuture
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import BuiltinFunctionType
from typing import Any, NamedTuple

try:
    from services import _looptrace
except ImportError:  # not built: the Python hot path below is used
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

_FUTURE_TYPES = (asyncio.Future, ConcurrentFuture)


def c_hot_path_built() -> bool:
    """Whether scripts/build_ext.py built the C hot path (else tracers use the Python one)."""
    return _looptrace is not None


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


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """A row of the task ring: numbers and code objects; text is made when asked."""

    serial: int
    created_ns: int  # 0: created before tracing began
    coro_code: Any  # the coroutine's code object (or its type)
    site_code: Any  # code object that created the task
    site_lasti: int  # byte offset of the creating instruction in it
    name: str  # kept when it ends ("" while it runs)
    outcome: int
    ended_ns: int

    @property
    def coro(self) -> str:
        return getattr(self.coro_code, "co_qualname", None) or getattr(self.coro_code, "__name__", "?")

    @property
    def site_line(self) -> int:
        return _line(self.site_code, self.site_lasti) if self.site_code else 0

    @property
    def site(self) -> str:
        return f"{self.site_code.co_filename}:{self.site_line}" if self.site_code else "(created before tracing began)"


@dataclass(frozen=True)
class TaskInfo:
    """What a view shows of a task."""

    serial: int
    name: str
    coro: str
    site: str
    state: str
    created_ns: int
    ended_ns: int
    stack: tuple[str, ...] = ()
    alive: bool = False


@dataclass(frozen=True)
class Statistics:
    capacity: int
    recorded: int  # callbacks scheduled since attach
    dropped: int  # rows lost to the ring before a reader took them
    tasks: int
    lag_samples: int


CALLBACK_COLUMNS = ("seq", "kind", "scheduled", "due", "start", "end", "task", "parent", "code")
TASK_COLUMNS = ("serial", "created", "lasti", "ended", "outcome")
TASK_LISTS = ("coro", "site", "name")  # code object (or type), code object, str


class _Ring:
    """Preallocated int64 columns (and object lists) of one ring; row = key % capacity.
    The C hot path writes the same columns, in the order of the names given."""

    def __init__(self, capacity: int, columns: tuple[str, ...], lists: tuple[str, ...] = ()) -> None:
        self.capacity = capacity
        self.columns = tuple(array("q", bytes(8 * capacity)) for _ in columns)
        self.lists = tuple([None] * capacity for _ in lists)
        for name, column in zip(columns + lists, self.columns + self.lists, strict=True):
            setattr(self, name, column)


class LoopTracer:
    """Records one loop's callbacks and tasks while attached (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int = DEFAULT_CAPACITY,
                 lag_interval_s: float = 0.05, native: bool = True) -> None:
        self.loop = loop
        self.capacity = capacity
        self.lag_interval_s = lag_interval_s
        self.native = native and c_hot_path_built()
        self._cols = _Ring(capacity, CALLBACK_COLUMNS)
        self._tring = _Ring(TASK_CAPACITY, TASK_COLUMNS, TASK_LISTS)
        # the next seq; the seq of the callback running now (-1: none); the next task serial
        self._box = array("q", [0, -1, 1])
        self._read = 0  # rows below this were handed to a reader
        self._dropped = 0
        self._codes: dict[int, Any] = {}  # code key → code object, builtin's qualname or type
        self._serials: dict[int, int] = {}  # id(live task) → serial, for the Python hot path
        # a live task's serial (given one if new) and its serial if it has one: the Python
        # hot path's dict, or the C one's table once it attaches
        self._serial: Callable[[asyncio.Task[Any]], int] = self._new_serial
        self._serial_known: Callable[[asyncio.Task[Any]], int | None] = lambda task: self._serials.get(id(task))
        self._hooks: Any = None  # the C hot path, made at the first attach
        self._live: dict[int, asyncio.Task[Any]] = {}  # serial → task, as of seq _live_at
        self._live_at = -1
        self._lag = array("q", bytes(8 * 2 * LAG_CAPACITY))  # (at, lag) pairs
        self._lag_n = 0
        self._saved: dict[str, Any] | None = None
        self._probe: asyncio.Task[None] | None = None
        self.pid = os.getpid()

    # -- attach / detach -------------------------------------------------------------

    @property
    def attached(self) -> bool:
        return self._saved is not None

    def attach(self) -> LoopTracer:
        """Start recording. Call on the loop's thread (or before the loop runs)."""
        if self._saved is not None:
            return self
        loop = self.loop
        # Never through loop.__dict__: touching it turns the loop's attribute values into a
        # real dict, and then no method call in asyncio's loop code keeps its fast path
        # (measured +13 % on its own). An attribute that is the class's method is _MISSING.
        self._saved = {name: _MISSING if getattr(getattr(loop, name), "__func__", None) is getattr(type(loop), name)
                       else getattr(loop, name) for name in _HOOKED}
        self._saved["task_factory"] = loop.get_task_factory()
        call_soon, threadsafe, call_at = loop.call_soon, loop.call_soon_threadsafe, loop.call_at
        if self.native:
            if self._hooks is None:  # made once, so live tasks keep their serials across attaches
                self._hooks = _looptrace.Hooks(self._cols.columns, self._tring.columns, self._box,
                                               self._tring.lists, self._codes, asyncio.Task, _FUTURE_TYPES,
                                               _ASYNCIO_DIR, call_soon, threadsafe, call_at, loop.time)
            hooks = self._hooks
            self._serial, self._serial_known = hooks.adopt, hooks.serial
            self._hook(hooks.call_soon, hooks.call_soon_threadsafe, hooks.call_at, hooks.task_factory)
            return self
        # Everything the hot path touches is a local of these closures (no attribute lookups).
        cols, cap, box, clock, loop_time = self._cols, self.capacity, self._box, time.perf_counter_ns, loop.time
        cseq, ckind, csched, cdue, cstart, cend, ctask, cparent, ccode = (
            cols.seq, cols.kind, cols.scheduled, cols.due, cols.start, cols.end, cols.task, cols.parent, cols.code)
        serials_get, new_serial, finished, codes = self._serials.get, self._serial, self._finished, self._codes
        task_type, future_types = asyncio.Task, _FUTURE_TYPES

        def record(kind: int, now: int, due: int, callback: Any, args: tuple[Any, ...]) -> tuple[int, bool]:
            seq = box[0]
            box[0] = seq + 1
            row = seq % cap
            cseq[row] = seq
            csched[row] = now
            cdue[row] = due
            cparent[row] = box[1] if kind != THREADSAFE else -1  # another thread: the loop did not ask
            cstart[row] = cend[row] = ccode[row] = 0
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, task_type):
                ctask[row] = serials_get(id(owner)) or new_serial(owner)
                ckind[row] = DONE_CALLBACK if args and kind == SOON else kind  # a wake-up by a future
                return seq, True
            ctask[row] = 0
            ckind[row] = DONE_CALLBACK if args and kind == SOON and isinstance(args[0], future_types) else kind
            func = getattr(callback, "__func__", callback)
            code = getattr(func, "__code__", None)
            if code is not None:
                key = id(code)
            elif isinstance(func, BuiltinFunctionType):  # one key per builtin, not per bound object
                code = func.__qualname__
                key = hash(code)
            else:
                code = type(func)
                key = id(code)
            if key not in codes:
                codes[key] = code
            ccode[row] = key
            return seq, False

        def run_plain(seq: int, callback: Callable[..., Any], *args: Any) -> None:
            outer = box[1]
            box[1] = seq
            start = clock()
            try:
                callback(*args)
            finally:
                end = clock()
                box[1] = outer
                row = seq % cap
                if cseq[row] == seq:  # else the ring wrapped past it while it waited
                    cstart[row] = start
                    cend[row] = end

        # run_step repeats run_plain and adds the task's end: calling run_plain from it
        # would put a second Python call on every task step.
        def run_step(seq: int, callback: Any, *args: Any) -> None:
            outer = box[1]
            box[1] = seq
            start = clock()
            try:
                callback(*args)
            finally:
                end = clock()
                box[1] = outer
                row = seq % cap
                if cseq[row] == seq:
                    cstart[row] = start
                    cend[row] = end
                finished(callback.__self__, end)

        def traced_call_soon(callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            now = clock()
            seq, step = record(SOON, now, now, callback, args)
            return call_soon(run_step if step else run_plain, seq, callback, *args, context=context)

        def traced_threadsafe(callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            now = clock()
            seq, step = record(THREADSAFE, now, now, callback, args)
            return threadsafe(run_step if step else run_plain, seq, callback, *args, context=context)

        def traced_call_at(when: float, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
            now = clock()
            seq, step = record(TIMER, now, now + int((when - loop_time()) * 1e9), callback, args)
            return call_at(when, run_step if step else run_plain, seq, callback, *args, context=context)

        self._hook(traced_call_soon, traced_threadsafe, traced_call_at, self._task_factory)
        return self

    def _hook(self, call_soon: Any, threadsafe: Any, call_at: Any, task_factory: Any) -> None:
        """Sets the hooks on the loop instance. (Moving the loop to a subclass that has them
        was measured 18 % slower: asyncio's own attribute lookups lose their fast paths.)"""
        loop = self.loop
        for name, hook in zip(_HOOKED, (call_soon, threadsafe, call_at), strict=True):
            setattr(loop, name, hook)
        loop.set_task_factory(task_factory)
        for task in asyncio.all_tasks(loop):  # created before attach: no creation site or time
            if self._serial_known(task) is None:
                self._remember(task, task.get_coro(), None)
        if self.lag_interval_s > 0:
            self._probe = loop.create_task(self._lag_probe(), name="looplens: lag probe")

    def detach(self) -> None:
        """Stop recording and give the loop back exactly what it had."""
        saved, self._saved = self._saved, None
        if saved is None:
            return
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None
        loop = self.loop
        for name in _HOOKED:
            if saved[name] is _MISSING:
                delattr(loop, name)
            else:
                setattr(loop, name, saved[name])
        loop.set_task_factory(saved["task_factory"])

    def __enter__(self) -> LoopTracer:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # -- the hot path ----------------------------------------------------------------

    def _new_serial(self, task: asyncio.Task[Any]) -> int:
        """A live task's serial (the Python hot path's; the C one keeps its own table)."""
        key = id(task)
        serial = self._serials.get(key)
        if serial is None:
            serial = self._box[2]
            self._box[2] = serial + 1
            self._serials[key] = serial
        return serial

    def _task_factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(_ASYNCIO_DIR):
            frame = frame.f_back  # past create_task / ensure_future / TaskGroup
        # The constructor already scheduled the first step, which gave the task its serial
        # (a finished task's id is forgotten, so a reused id gets a new one).
        self._remember(task, coro, frame)
        return task

    def _remember(self, task: asyncio.Task[Any], coro: Any, frame: Any) -> None:
        serial = self._serial(task)
        t = self._tring
        row = serial % t.capacity
        t.serial[row], t.created[row] = serial, time.perf_counter_ns() if frame else 0
        t.lasti[row], t.ended[row], t.outcome[row] = frame.f_lasti if frame else 0, 0, RUNNING
        t.coro[row] = getattr(coro, "cr_code", None) or type(coro)
        t.site[row] = frame.f_code if frame else None
        t.name[row] = None

    def _finished(self, task: asyncio.Task[Any], now: int) -> None:
        """If a step left its task done: how it ended (once per task). Reads ``_state`` and
        ``_exception`` rather than ``exception()``, which would mark an error as retrieved
        and silence asyncio's "never retrieved" log."""
        state = task._state
        if state == "PENDING":
            return
        serial = self._serials.pop(id(task), None)  # only live tasks are looked up by id
        t = self._tring
        row = serial % t.capacity if serial else 0
        if not serial or t.serial[row] != serial or t.outcome[row] != RUNNING:
            return
        t.name[row] = task.get_name()
        t.ended[row] = now
        if state == "CANCELLED":
            t.outcome[row] = CANCELLED
        else:
            t.outcome[row] = DONE if task._exception is None else RAISED

    async def _lag_probe(self) -> None:
        """Sleeps ``lag_interval_s`` over and over; how late it wakes is the loop's lag."""
        interval_ns = int(self.lag_interval_s * 1e9)
        clock = time.perf_counter_ns
        while True:
            expected = clock() + interval_ns
            await asyncio.sleep(self.lag_interval_s)
            now = clock()
            i = (self._lag_n % LAG_CAPACITY) * 2
            self._lag[i] = now
            self._lag[i + 1] = max(0, now - expected)
            self._lag_n += 1

    # -- reading ---------------------------------------------------------------------

    def statistics(self) -> Statistics:
        return Statistics(self.capacity, self._box[0], self._dropped + max(0, self._box[0] - self.capacity - self._read),
                          min(self._box[2] - 1, TASK_CAPACITY), min(self._lag_n, LAG_CAPACITY))

    def callbacks(self, after_seq: int = -1, include_pending: bool = False) -> list[Callback]:
        """Rows with ``seq > after_seq`` still in the ring, oldest first; taking them moves
        the reader's cursor (rows the ring overwrote before this are counted as dropped)."""
        first = max(after_seq + 1, self._box[0] - self.capacity, 0)
        if after_seq + 1 < first:
            self._dropped += max(0, first - max(after_seq + 1, self._read))
        self._read = max(self._read, self._box[0])
        cols = self._cols
        out = []
        for seq in range(first, self._box[0]):
            row = seq % self.capacity
            if cols.seq[row] != seq or (not include_pending and cols.start[row] == 0):
                continue
            out.append(Callback(seq, cols.kind[row], cols.scheduled[row], cols.due[row],
                                cols.start[row], cols.end[row], cols.task[row], cols.parent[row],
                                cols.code[row]))
        return out

    def slow(self, threshold_ns: int = SLOW_NS, after_seq: int = -1) -> list[Callback]:
        return [c for c in self.callbacks(after_seq) if c.duration_ns >= threshold_ns]

    def lag(self) -> list[tuple[int, int]]:
        """(when, lag ns) samples of the probe, oldest first."""
        n = min(self._lag_n, LAG_CAPACITY)
        start = self._lag_n - n
        return [(self._lag[(i % LAG_CAPACITY) * 2], self._lag[(i % LAG_CAPACITY) * 2 + 1])
                for i in range(start, self._lag_n)]

    def name_of(self, callback: Callback) -> str:
        """A callback's name, looked up now."""
        if callback.task:
            record = self.task_record(callback.task)
            return f"step {record.coro}" if record else f"step task {callback.task}"
        code = self.code_of(callback)
        if isinstance(code, str):
            return code
        return getattr(code, "co_qualname", None) or getattr(code, "__qualname__", None) or repr(code)

    def code_of(self, callback: Callback) -> Any:
        """A plain callback's code object (or the callable, for builtins)."""
        return self._codes.get(callback.code)

    def _row(self, serial: int) -> int | None:
        row = serial % self._tring.capacity
        return row if serial > 0 and self._tring.serial[row] == serial else None

    def task_record(self, serial: int) -> TaskRecord | None:
        row = self._row(serial)
        if row is None:
            return None
        t = self._tring
        return TaskRecord(serial, t.created[row], t.coro[row], t.site[row], t.lasti[row],
                          t.name[row] or "", t.outcome[row], t.ended[row])

    def task_name(self, serial: int) -> str:
        """A task's name, cheaply (``task_info`` also walks its stack)."""
        row = self._row(serial)
        task = self.live_task(serial)
        name = task.get_name() if task is not None else (self._tring.name[row] if row is not None else "")
        return name or f"task {serial}"

    def live_task(self, serial: int) -> asyncio.Task[Any] | None:
        """The task, while it has not finished. Tasks are found through asyncio's own set of
        live tasks, mapped once per batch of reads (no references kept on the hot path)."""
        if self._saved is None or self._live_at != self._box[0]:  # detached: seq stands still
            known = self._serial_known
            self._live = {s: t for t in asyncio.all_tasks(self.loop) if (s := known(t)) is not None}
            self._live_at = self._box[0]
        return self._live.get(serial)

    def tasks(self) -> Iterator[TaskRecord]:
        """The task ring's records, oldest first."""
        for serial in range(max(1, self._box[2] - TASK_CAPACITY), self._box[2]):
            record = self.task_record(serial)
            if record is not None:
                yield record

    def task_info(self, serial: int) -> TaskInfo | None:
        """Name, coroutine, creation site, state and (while it lives) its await stack."""
        record = self.task_record(serial)
        if record is None:
            return None
        task = self.live_task(serial)
        stack: tuple[str, ...] = ()
        if task is not None and not task.done():
            stack = tuple(f"{f.f_code.co_qualname} ({os.path.basename(f.f_code.co_filename)}:{f.f_lineno})"
                          for f in task.get_stack())
        name = task.get_name() if task is not None else record.name
        state = OUTCOMES[record.outcome]
        if task is not None and record.outcome == RUNNING:
            state = "running" if asyncio.current_task(self.loop) is task else "waiting"
        return TaskInfo(serial, name or f"task {serial}", record.coro, record.site, state,
                        record.created_ns, record.ended_ns, stack, task is not None and not task.done())


def _line(code: Any, lasti: int) -> int:
    """The source line of the instruction at byte offset ``lasti`` of ``code``."""
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return line or code.co_firstlineno
    return code.co_firstlineno


_HOOKED = ("call_soon", "call_soon_threadsafe", "call_at")  # call_later goes through call_at
_MISSING = object()
_ASYNCIO_DIR = os.path.dirname(asyncio.__file__)


# -- worker processes ------------------------------------------------------------------------

class Job(NamedTuple):
    """One job of a ``TracedPool``: submitted in the parent, run in a worker."""

    job: int
    name: str
    submitted_ns: int
    start_ns: int  # in the worker
    end_ns: int
    pid: int  # the worker's
    done_start_ns: int  # the parent's done-callback: start (0: not yet) …
    done_ns: int  # … and end


def _timed_call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int, int, int]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return result, start, time.perf_counter_ns(), os.getpid()


class TracedPool:
    """A ``ProcessPoolExecutor`` whose jobs are timed on the shared clock: submit (parent),
    start and end (worker pid), and the done-callback that ran in the parent."""

    def __init__(self, workers: int | None = None, capacity: int = 50_000,
                 executor: ProcessPoolExecutor | None = None) -> None:
        self.executor = executor or ProcessPoolExecutor(workers)  # given one: its owner shuts it down
        self.capacity = capacity
        self._jobs: dict[int, list[Any]] = {}
        self._next = 0
        self.dropped = 0

    def submit(self, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None] | None = None) -> ConcurrentFuture[Any]:
        """Run ``fn(*args)`` in a worker; ``on_done(result)`` runs in the parent when it ends."""
        job = self._next
        self._next += 1
        self._jobs[job] = [job, getattr(fn, "__qualname__", repr(fn)), time.perf_counter_ns(), 0, 0, 0, 0, 0]
        if len(self._jobs) > self.capacity:
            del self._jobs[next(iter(self._jobs))]
            self.dropped += 1
        inner = self.executor.submit(_timed_call, fn, args)
        outer: ConcurrentFuture[Any] = ConcurrentFuture()

        def done(future: ConcurrentFuture[Any]) -> None:
            begun = time.perf_counter_ns()
            row = self._jobs.get(job)
            try:
                result, start, end, pid = future.result()
            except BaseException as exc:  # the worker's error goes to whoever waits
                outer.set_exception(exc)
                return
            if row is not None:
                row[3:7] = [start, end, pid, begun]
            if on_done is not None:
                on_done(result)
            if row is not None:
                row[7] = time.perf_counter_ns()
            outer.set_result(result)

        inner.add_done_callback(done)
        return outer

    def jobs(self) -> list[Job]:
        return [Job(*row) for row in list(self._jobs.values())]

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TracedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
