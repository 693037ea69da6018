"""The event-loop tracer and what serves it: ``tracer`` (``LoopTracer``, the owner that
installs and removes hooks), its hot path in C (``_looptrace.c``) and its Python twin
(``hotpath``), the column layout both share (``columns``), ``TracedPool`` for worker
processes (``pool``), the hub that traces a loop on demand, its answers and its HTTP
routes (``hub``, ``answer``, ``routes``), the links drawn between rows (``links``: who
made a task, which row completed a done callback's future), the web side's client and
view (``client``, ``view``) and the Chrome Trace Event export (``export``); recordings
(``recording``: write and read one) and their replay on a page (``replay``: the
recordings folder, a bounded cache, the page's picture at a moment, two side by side,
Perfetto from a recording).

Imports: ``services.core`` only. The tracer and pool need nothing but the standard library.
"""
