"""An event-loop tracer: every callback an asyncio loop runs, how it was scheduled, which
task it stepped, and the done-callback links between them — cheap enough to leave on.

How it hooks in: ``attach()`` replaces, on the loop *instance* only, ``call_soon``,
``call_soon_threadsafe``, ``call_at`` (``call_later`` goes through it) and the task
factory; each callback is handed to the loop wrapped in a function that times it. Task
steps reach the loop through ``call_soon`` too, and their callback's ``__self__`` is the
task, so every step is attributed without asking asyncio anything. Each row also keeps
which callback was running when it was scheduled (its parent); a future's done
callbacks are scheduled with the future as their first argument, so those rows are
marked as done-callback links: "the callback that completed this future scheduled that
one". ``detach()`` puts everything back.

The hot path stores numbers only (seqs, ``perf_counter_ns`` times, ids) in preallocated
columns of one ring; tasks get a second ring, with their code objects and the serial of the
task that made each (which outlives the first ring). Names and stacks are looked up when a
view asks; rows overwritten before a reader took them are counted as dropped.

The hot path exists twice, with the same rows in the same columns (``columns``): in C
(``_looptrace.c``, built by ``scripts/build_ext.py``; a few hundred ns per callback) and
in Python (``hotpath``, about 4 µs per callback), which is used when the C one is not built.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from services.tracing.columns import (
    ASYNCIO_DIR,
    CANCELLED,
    DEFAULT_CAPACITY,
    DONE,
    FUTURE_TYPES,
    LAG_CAPACITY,
    NEXT_SEQ,
    NEXT_SERIAL,
    OUTCOMES,
    RAISED,
    RUNNING,
    RUNNING_SEQ,
    TASK_CAPACITY,
    Callback,
    CallbackRing,
    LagRing,
    Taken,
    TaskRing,
    _looptrace,  # the C hot path, when built (the Python one, hotpath, when not)
    take,
)
from services.tracing.hotpath import python_hooks
from services.tracing.records import Statistics, TaskInfo, TaskRecord, step_name


def c_hot_path_built() -> bool:
    """Whether scripts/build_ext.py built the C hot path (else tracers use the Python one)."""
    return _looptrace is not None


class LoopTracer:
    """Records one loop's callbacks and tasks while attached (see the module docstring)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        capacity: int = DEFAULT_CAPACITY,
        lag_interval_s: float = 0.05,
        native: bool = True,
    ) -> None:
        self.loop = loop
        self.capacity = capacity
        self.lag_interval_s = lag_interval_s
        self.native = native and c_hot_path_built()
        self._cols = CallbackRing(capacity)
        self._tring = TaskRing(TASK_CAPACITY)
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
        self._hooks: Any = None  # the C hot path, made at each attach
        self._live: dict[int, asyncio.Task[Any]] = {}  # serial → task, as of seq _live_at
        self._live_at = -1
        self._live_next = 0  # the next serial when _live was mapped
        self._lag = LagRing()
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
        # Never through loop.__dict__: that makes a real dict of the loop's attributes and every
        # method call in asyncio loses its fast path (+13 %). A class method saved is _MISSING.
        self._saved = {
            name: _MISSING
            if getattr(getattr(loop, name), "__func__", None) is getattr(type(loop), name)
            else getattr(loop, name)
            for name in _HOOKED
        }
        self._saved["task_factory"] = loop.get_task_factory()
        # Tasks are numbered by address, and one that ended while detached may have left its
        # address to a new task: each attach starts the table afresh (the counter goes on).
        self._serials.clear()
        self._live, self._live_at = {}, -1
        if self.native:
            self._hooks = None
            hooks = self._native_hooks()
            self._serial, self._serial_known = hooks.adopt, hooks.serial
            self._hook(hooks.call_soon, hooks.call_soon_threadsafe, hooks.call_at, hooks.task_factory)
        else:
            self._hook(
                *python_hooks(
                    loop, self._cols, self._box, self._codes, self._serials.get, self._serial, self._finished
                ),
                self._task_factory,
            )
        return self

    def _native_hooks(self) -> Any:
        """The C hot path, with its own table of live tasks' serials."""
        if self._hooks is None:
            loop = self.loop
            self._hooks = _looptrace.Hooks(
                self._cols.columns,
                self._tring.columns,
                self._box,
                self._tring.lists,
                self._codes,
                asyncio.Task,
                FUTURE_TYPES,
                ASYNCIO_DIR,
                loop.call_soon,
                loop.call_soon_threadsafe,
                loop.call_at,
                loop.time,
            )
        return self._hooks

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
        loop = self.loop
        for name in _HOOKED:
            if saved[name] is _MISSING:
                delattr(loop, name)
            else:
                setattr(loop, name, saved[name])
        loop.set_task_factory(saved["task_factory"])
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()  # a running loop finishes it on its next turn
            if not loop.is_running() and not loop.is_closed():  # else nobody would, and closing
                with contextlib.suppress(asyncio.CancelledError):  # the loop would log it as pending
                    loop.run_until_complete(probe)

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
            serial = self._box[NEXT_SERIAL]
            self._box[NEXT_SERIAL] = serial + 1
            self._serials[key] = serial
        return serial

    def _task_factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith(ASYNCIO_DIR):
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
        t.parent[row] = self._cols.task_of(self._box[RUNNING_SEQ]) if frame else 0  # the task making it

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
        t.outcome[row] = CANCELLED if state == "CANCELLED" else DONE if task._exception is None else RAISED

    async def _lag_probe(self) -> None:
        """Sleeps ``lag_interval_s`` over and over; how late it wakes is the loop's lag."""
        interval_ns = int(self.lag_interval_s * 1e9)
        clock = time.perf_counter_ns
        while True:
            expected = clock() + interval_ns
            await asyncio.sleep(self.lag_interval_s)
            now = clock()
            self._lag.add(now, max(0, now - expected))

    # -- reading ---------------------------------------------------------------------

    def statistics(self) -> Statistics:
        return Statistics(
            self.capacity,
            self._box[NEXT_SEQ],
            self._dropped + max(0, self._box[NEXT_SEQ] - self.capacity - self._read),
            min(self._box[NEXT_SERIAL] - 1, TASK_CAPACITY),
            min(self._lag.count, LAG_CAPACITY),
        )

    def callbacks(
        self, after_seq: int = -1, include_pending: bool = False, newest: int | None = None
    ) -> list[Callback]:
        """Rows with ``seq > after_seq`` still in the ring, oldest first (only the ``newest``
        of them, if given); taking them moves the reader's cursor (rows the ring overwrote
        before this are counted as dropped)."""
        rows = (self._cols.callback(seq, include_pending) for seq in range(*self._taking(after_seq, newest)))
        return [c for c in rows if c is not None]

    def take(self, after_seq: int, newest: int, ended_after_ns: int, long_ns: int) -> Taken:
        """``callbacks(after_seq, newest=newest)`` ended at ``ended_after_ns`` on, packed (``columns.take``)."""
        return take(self._cols, self._tring, *self._taking(after_seq, newest), ended_after_ns, long_ns)

    def _taking(self, after_seq: int, newest: int | None) -> tuple[int, int]:
        """The seqs a reader takes (first, stop), moving its cursor (see ``callbacks``)."""
        first = max(after_seq + 1, self._box[NEXT_SEQ] - self.capacity, 0)
        if after_seq + 1 < first:
            self._dropped += max(0, first - max(after_seq + 1, self._read))
        stop = self._box[NEXT_SEQ]
        self._read = max(self._read, stop)
        return (first if newest is None else max(first, stop - newest)), stop

    def callback(self, seq: int) -> Callback | None:
        return self._cols.callback(seq)

    def passed_over(
        self, after_seq: int, before_seq: int, ended_after_ns: int, slow_ns: int
    ) -> tuple[int, list[Callback]]:
        """For a reader that took only the newest rows: how many finished rows between
        ``after_seq`` and ``before_seq`` it did not take (those that ended after
        ``ended_after_ns``), and the slow ones among them all."""
        first = max(after_seq + 1, self._box[NEXT_SEQ] - self.capacity, 0)
        count, slow = self._cols.scan(first, before_seq, slow_ns, ended_after_ns)
        rows = (self._cols.callback(seq) for seq in slow)
        return count, [c for c in rows if c is not None]

    def lag(self, since_ns: int = 0) -> list[tuple[int, int]]:
        """(when, lag ns) samples of the probe taken at ``since_ns`` or later, oldest first."""
        return self._lag.since(since_ns)

    def name_of(self, callback: Callback) -> str:
        """A callback's name, looked up now."""
        if callback.task:
            return step_name(callback.task, self.coro_code(callback.task))
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

    def coro_code(self, serial: int) -> Any:
        """A task's coroutine's code object (or type), cheaply; None when it has no record."""
        row = self._row(serial)
        return self._tring.coro[row] if row is not None else None

    def task_record(self, serial: int) -> TaskRecord | None:
        row = self._row(serial)
        if row is None:
            return None
        t = self._tring
        return TaskRecord(serial, t.created[row], t.coro[row], t.site[row], t.lasti[row], t.name[row] or "",
                          t.outcome[row], t.ended[row], t.parent[row])  # fmt: skip

    def task_name(self, serial: int) -> str:
        """A task's name, cheaply (``task_info`` also walks its stack): a finished task's was
        kept when it ended; a live one's is asked (looking up live tasks maps them all, again
        whenever the loop ran on, which a reader in another thread sees at every call)."""
        row = self._row(serial)
        if row is not None and (kept := self._tring.name[row]):
            return kept
        task = self.live_task(serial)
        return (task.get_name() if task is not None else "") or f"task {serial}"

    def live_task(self, serial: int) -> asyncio.Task[Any] | None:
        """The task, while it has not finished. Tasks are found through asyncio's own set of
        live tasks (no references kept on the hot path), mapped again only when the map cannot
        answer: a task in it that has finished since, or a serial given since it was made (a
        serial given before that and not in it is a task that had finished)."""
        task = self._live.get(serial)
        if (task is not None and not task.done()) or (task is None and 0 < serial < self._live_next):
            return task
        if self._saved is None or self._live_at != self._box[NEXT_SEQ]:  # detached: seq stands still
            known, self._live_next = self._serial_known, self._box[NEXT_SERIAL]
            self._live = {s: t for t in asyncio.all_tasks(self.loop) if (s := known(t)) is not None}
            self._live_at = self._box[NEXT_SEQ]
        return self._live.get(serial)

    def tasks(self) -> Iterator[TaskRecord]:
        """The task ring's records, oldest first."""
        for serial in range(max(1, self._box[NEXT_SERIAL] - TASK_CAPACITY), self._box[NEXT_SERIAL]):
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
            stack = tuple(
                f"{f.f_code.co_qualname} ({os.path.basename(f.f_code.co_filename)}:{f.f_lineno})"
                for f in task.get_stack()
            )
        name = task.get_name() if task is not None else record.name
        state = OUTCOMES[record.outcome]
        if task is not None and record.outcome == RUNNING:
            state = "running" if asyncio.current_task(self.loop) is task else "waiting"
        return TaskInfo(
            serial,
            name or f"task {serial}",
            record.coro,
            record.site,
            state,
            record.created_ns,
            record.ended_ns,
            stack,
            task is not None and not task.done(),
        )


_HOOKED = ("call_soon", "call_soon_threadsafe", "call_at")  # call_later goes through call_at
_MISSING = object()
