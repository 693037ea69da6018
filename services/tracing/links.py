"""The links the Trace page draws between rows, besides the rows themselves:

- **made**: a task made by another task's step, from that step (at the moment the task was
  made) to the new task's first step;
- **done**: a done callback, from the row that completed its future (at that moment: when
  the callback was scheduled) to the callback (a plain one, or a task woken by it).

Each answer of the trace routes carries the links of its rows as ``[kind, seq, from_seq,
at_ns]``, found in the pass that reads the rows (``columns.take``); a page draws one when
it has drawn both rows (``services.tracing.view``), and a recording keeps them (its replay
and its Perfetto document draw them too).
"""

from __future__ import annotations

MADE_LINK, DONE_LINK = 0, 1  # a link's kind (the C reader's take writes the same numbers)
LINK_KIND, LINK_SEQ, LINK_FROM, LINK_AT = range(4)  # a link's fields
