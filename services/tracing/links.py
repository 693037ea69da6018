"""The links the Trace page draws between rows, besides the rows themselves:

- **made**: a task made by another task's step, from that step (at the moment the task was
  made) to the new task's first step;
- **done**: a done callback, from the row that completed its future (at that moment: when
  the callback was scheduled) to the callback (a plain one, or a task woken by it).

Each answer of the trace routes carries the links of its rows as ``[kind, seq, from_seq,
at_ns]``; a page draws one when it has drawn both rows (``services.tracing.view``), and a
recording keeps them (its replay and its Perfetto document draw them too).
"""

from __future__ import annotations

from services.tracing.columns import DONE_CALLBACK, SOON, Callback
from services.tracing.tracer import LoopTracer

MADE, DONE = 0, 1  # a link's kind
LINK_KIND, LINK_SEQ, LINK_FROM, LINK_AT = range(4)  # a link's fields


def row_links(tracer: LoopTracer, rows: list[Callback]) -> list[list[int]]:
    """The links ending at ``rows``: each done callback's, and each task's first step's
    (a task's first step is scheduled while it is made, before its record's creation time;
    every later step after it)."""
    links = []
    for c in rows:
        if c.parent < 0:  # scheduled from another thread, or by nothing traced
            continue
        if c.kind == DONE_CALLBACK:
            links.append([DONE, c.seq, c.parent, c.scheduled_ns])
        elif c.task and c.kind == SOON:
            parent, created = tracer.made(c.task)
            if parent and created >= c.scheduled_ns:
                links.append([MADE, c.seq, c.parent, created])
    return links
