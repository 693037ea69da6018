"""Plain-language findings about a traced loop, each with the rows behind it (their seqs)
and a message key (``diag.*``, English and 中文) with its parameters:

- a blocking call on the loop, and its line (the culprit the agent sampled);
- CPU work on the loop that belongs in an executor (the loop thread's CPU clock ran all
  along the long callback);
- a timer that fired late, and the callback that was running when it fell due;
- a task destroyed while pending, a task whose exception was never retrieved (asyncio
  reports both to the loop's exception handler, which the agent listens to);
- a bounded queue full (or with producers waiting), a lock held with others waiting, for long
  (``primitives``' samples);
- a queue in use that sat empty with consumers waiting, for long: not an error, but where
  the bottleneck is (its producers).

A healthy program gets no finding. Pure functions over what the hub holds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from services.tracing.columns import TIMER, Callback

LONG_NS = 100_000_000  # a callback this long blocks the loop (asyncio debug mode's default)
LATE_NS = 50_000_000  # a timer this late, with a callback that delayed it, is reported
LATE_ALONE_NS = 500_000_000  # and this late with none (the process itself was held up)
CPU_SHARE = 0.7  # a long callback that used this share of its time on the CPU is CPU work
SHOWN = 5  # findings of one kind
STUCK_PRIMITIVE_NS = 1_000_000_000  # a queue full, a lock contended, this long is reported
STARVED_NS = 2_000_000_000  # a queue in use empty with consumers waiting, this long is reported
OWN = "looplens:"  # the tracer's own tasks (its lag probe is late whenever the loop is)


@dataclass(frozen=True)
class Finding:
    code: str  # the message key
    params: dict[str, Any]
    seqs: tuple[int, ...] = field(default=())  # the rows it is about

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params, "seqs": list(self.seqs)}


def _line(where: list[Any] | None) -> str:
    return f"{os.path.basename(str(where[0]))}:{where[1]} ({where[2]})" if where else "?"


def long_callbacks(
    rows: Iterable[Callback], name_of: Callable[[Callback], str], culprit_of: Callable[[int], dict[str, Any] | None]
) -> list[Finding]:
    """Each long callback, the longest first: CPU work or a blocking call, with its line."""
    found = []
    for c in sorted((c for c in rows if c.duration_ns >= LONG_NS), key=lambda c: -c.duration_ns)[:SHOWN]:
        culprit = culprit_of(c.seq) or {}
        cpu = culprit.get("cpu")
        params = {"ms": round(c.duration_ns / 1e6), "where": _line(culprit.get("where")), "name": name_of(c)}
        code = "diag.cpu" if cpu is not None and cpu >= CPU_SHARE else "diag.blocking"
        found.append(Finding(code, params, (c.seq,)))
    return found


def late_timers(rows: list[Callback], name_of: Callable[[Callback], str]) -> list[Finding]:
    """Timers that ran late, one finding per callback that was running when they fell due
    (with how many it delayed, and the latest), the worst first."""
    by_culprit: dict[int, list[Callback]] = {}
    alone = []
    for timer in (c for c in rows if c.kind == TIMER and c.late_ns >= LATE_NS and not name_of(c).startswith(OWN)):
        culprits = [c for c in rows if c.start_ns <= timer.due_ns < c.end_ns and c.seq != timer.seq]
        by = max(culprits, key=lambda c: c.duration_ns, default=None)
        if by is None:
            alone.append(timer)
        else:
            by_culprit.setdefault(by.seq, []).append(timer)
    found = []
    seqs = {c.seq: c for c in rows}
    for by_seq, timers in by_culprit.items():
        worst, by = max(timers, key=lambda c: c.late_ns), seqs[by_seq]
        params = {"name": _timer(worst, name_of), "late_ms": round(worst.late_ns / 1e6), "count": len(timers),
                  "by": name_of(by), "by_ms": round(by.duration_ns / 1e6)}  # fmt: skip
        found.append(Finding("diag.late_timer_by", params, (*(t.seq for t in timers), by.seq)))
    for timer in (t for t in alone if t.late_ns >= LATE_ALONE_NS):
        params = {"name": _timer(timer, name_of), "late_ms": round(timer.late_ns / 1e6)}
        found.append(Finding("diag.late_timer", params, (timer.seq,)))
    return sorted(found, key=lambda f: -f.params["late_ms"])[:SHOWN]


def _timer(c: Callback, name_of: Callable[[Callback], str]) -> str:
    name = name_of(c)
    return "asyncio.sleep()" if name.endswith("_set_result_unless_cancelled") else name


def _longest(samples: list[list[int]], holds: Callable[[list[int]], bool], waiting: int = 2) -> tuple[int, int]:
    """The longest run of consecutive samples for which ``holds``: (its length in ns, the
    largest "waiting" count — the sample's column ``waiting`` — seen in it)."""
    best, start, most, best_most = 0, None, 0, 0
    for sample in samples:
        if holds(sample):
            start = sample[0] if start is None else start
            most = max(most, sample[waiting])
            if sample[0] - start > best:
                best, best_most = sample[0] - start, most
        else:
            start, most = None, 0
    return best, best_most


def _starved(samples: list[list[int]]) -> tuple[int, int]:
    """The longest stretch a queue sat empty with consumers (getters) waiting, counted only
    between uses: after a sample first saw it holding items, and up to the last sample where
    it held items again or had no consumer left waiting (its length in ns, the most
    consumers waiting in it).

    A pool of workers waiting for work that has not come yet, or waiting on once the work is
    done, looks just like starved consumers and is no bottleneck, so neither is counted; this
    leaves out a stretch still going on at the last sample too, as from the queue alone a
    producer stuck now and finished work look the same. Idling between two bursts of work is
    counted (the samples cannot tell it from a stalled producer): hence a message that says
    where the time went, not that something is wrong. Items taken at once by waiting
    consumers are seldom sampled, so a queue whose consumers always outpace its producer may
    never count as used: that misses a finding, it never makes one up."""

    def empty(s: list[int]) -> bool:
        return s[1] == 0 and s[3] > 0  # (t, size, putters, getters)

    first = next((i for i, s in enumerate(samples) if s[1] > 0), len(samples))
    last = next((i for i in range(len(samples) - 1, first - 1, -1) if not empty(samples[i])), first)
    return _longest(samples[first : last + 1], empty, waiting=3)


def stuck_primitives(objects: Iterable[dict[str, Any]]) -> list[Finding]:
    """A bounded queue full (or with producers waiting), a lock held with others waiting, for
    ``STUCK_PRIMITIVE_NS`` or longer; a queue in use empty with consumers waiting between two
    uses (``_starved``) for ``STARVED_NS`` or longer, longer than for a full one because a
    producer pausing a moment is ordinary (from the agent's samples: t, level, a, b)."""
    found = []
    for o in objects:
        if o["kind"] == "queue":
            span, most = _starved(o["samples"])
            if span >= STARVED_NS:
                params = {"site": o["site"], "s": round(span / 1e9, 1), "waiting": most}
                found.append(Finding("diag.queue_empty", params))
        if o["kind"] == "queue" and o["maxsize"] > 0:

            def full(s: list[int], size: int = o["maxsize"]) -> bool:
                # full, or producers waiting: a producer that sleeps between puts leaves
                # the queue full with nobody waiting, which must not break the span
                return s[1] >= size or s[2] > 0

            span, most = _longest(o["samples"], full)
            code = "diag.queue_full"
        elif o["kind"] == "lock":
            span, most = _longest(o["samples"], lambda s: s[1] == 1 and s[2] > 0)
            code = "diag.lock_contended"
        else:
            continue
        if span >= STUCK_PRIMITIVE_NS:
            found.append(Finding(code, {"site": o["site"], "s": round(span / 1e9, 1), "waiting": most}))
    return sorted(found, key=lambda f: -f.params["s"])[:SHOWN]


def loop_problems(problems: Iterable[dict[str, Any]]) -> list[Finding]:
    """What asyncio told the loop's exception handler, as findings."""
    found = []
    for p in problems:
        if p["kind"] == "pending":
            found.append(Finding("diag.pending_destroyed", {"task": p["task"]}))
        elif p["kind"] == "never_retrieved":
            found.append(Finding("diag.never_retrieved", {"task": p["task"], "error": p["error"]}))
        else:
            found.append(Finding("diag.loop_error", {"message": p["message"]}))
    return found[-SHOWN:]


def classify(context: dict[str, Any]) -> dict[str, Any]:
    """A loop exception handler's context, as a problem the diagnosis knows."""
    message = str(context.get("message", ""))
    task = context.get("task") or context.get("future")
    get_name = getattr(task, "get_name", None)
    name = get_name() if get_name is not None else repr(task)[:80]
    if "destroyed but it is pending" in message:
        return {"kind": "pending", "task": name}
    if "never retrieved" in message:
        error = context.get("exception")
        return {"kind": "never_retrieved", "task": name, "error": f"{type(error).__name__}: {error}"[:200]}
    return {"kind": "other", "message": message[:200]}
