"""The tracer's hot path in Python: the twin of ``_looptrace.c``, used when that is not
built (about 4 µs per callback against a few hundred ns). Both write the same rows into
the same columns (``columns``).

``python_hooks`` returns the loop's replacement ``call_soon``, ``call_soon_threadsafe``
and ``call_at``. Each records a row when a callback is scheduled and hands the loop the
callback wrapped in ``run_plain`` or ``run_step`` (a task's step), which time it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import BuiltinFunctionType
from typing import Any

from services.tracing.columns import (
    DONE_CALLBACK,
    FUTURE_TYPES,
    NEXT_SEQ,
    RUNNING_SEQ,
    SOON,
    THREADSAFE,
    TIMER,
    CallbackRing,
)

Hook = Callable[..., Any]


def python_hooks(
    loop: asyncio.AbstractEventLoop,
    cols: CallbackRing,
    box: Any,
    codes: dict[int, Any],
    serial_of: Callable[[int], int | None],
    new_serial: Callable[[asyncio.Task[Any]], int],
    finished: Callable[[asyncio.Task[Any], int], None],
) -> tuple[Hook, Hook, Hook]:
    """(call_soon, call_soon_threadsafe, call_at) that record into ``cols`` and ``box``;
    ``serial_of(id(task))`` / ``new_serial(task)`` number tasks, ``finished`` sees a step's end."""
    call_soon, threadsafe, call_at = loop.call_soon, loop.call_soon_threadsafe, loop.call_at
    clock, loop_time = time.perf_counter_ns, loop.time
    record = _recorder(cols, box, codes, serial_of, new_serial)
    run_plain, run_step = _runners(cols, box, finished)

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

    return traced_call_soon, traced_threadsafe, traced_call_at


# Everything the hot path touches is a local of these closures (no attribute lookups).


def _recorder(
    cols: CallbackRing,
    box: Any,
    codes: dict[int, Any],
    serial_of: Callable[[int], int | None],
    new_serial: Callable[[asyncio.Task[Any]], int],
) -> Callable[[int, int, int, Any, tuple[Any, ...]], tuple[int, bool]]:
    """``record(kind, now, due, callback, args)``: a new row; (its seq, whether it is a task step)."""
    cap, (cseq, ckind, csched, cdue, cstart, cend, ctask, cparent, ccode) = cols.capacity, cols.columns
    task_type, future_types = asyncio.Task, FUTURE_TYPES

    def record(kind: int, now: int, due: int, callback: Any, args: tuple[Any, ...]) -> tuple[int, bool]:
        seq = box[NEXT_SEQ]
        box[NEXT_SEQ] = seq + 1
        row = seq % cap
        cseq[row] = seq
        csched[row] = now
        cdue[row] = due
        cparent[row] = box[RUNNING_SEQ] if kind != THREADSAFE else -1  # another thread: the loop did not ask
        cstart[row] = cend[row] = ccode[row] = 0
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, task_type):
            ctask[row] = serial_of(id(owner)) or new_serial(owner)
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

    return record


def _runners(
    cols: CallbackRing, box: Any, finished: Callable[[asyncio.Task[Any], int], None]
) -> tuple[Callable[..., None], Callable[..., None]]:
    """(run_plain, run_step): what the loop runs in place of a callback, timing it into its row."""
    cap, cseq, cstart, cend, clock = cols.capacity, cols.seq, cols.start, cols.end, time.perf_counter_ns

    def run_plain(seq: int, callback: Callable[..., Any], *args: Any) -> None:
        outer = box[RUNNING_SEQ]
        box[RUNNING_SEQ] = seq
        start = clock()
        try:
            callback(*args)
        finally:
            end = clock()
            box[RUNNING_SEQ] = outer
            row = seq % cap
            if cseq[row] == seq:  # else the ring wrapped past it while it waited
                cstart[row] = start
                cend[row] = end

    # run_step repeats run_plain and adds the task's end: calling run_plain from it
    # would put a second Python call on every task step.
    def run_step(seq: int, callback: Any, *args: Any) -> None:
        outer = box[RUNNING_SEQ]
        box[RUNNING_SEQ] = seq
        start = clock()
        try:
            callback(*args)
        finally:
            end = clock()
            box[RUNNING_SEQ] = outer
            row = seq % cap
            if cseq[row] == seq:
                cstart[row] = start
                cend[row] = end
            finished(callback.__self__, end)

    return run_plain, run_step
