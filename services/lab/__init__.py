"""The concurrency lab: the workload and its per-item work (``workload``), the engines
that run it (``engines``; gevent in its own process, ``gevent_engine``), the traced
asyncio loop's files (``loop_trace``), the loopback request ceiling its ideal rests on
(``ceiling``), the swimlanes (``lanes``) and a whole run in its own process — lock,
process group, priority, heartbeat watch, cancel (``run``).

Imports: ``services.core``, ``services.tracing`` (a traced asyncio run), and
``services.live`` for the collector's heartbeat only.
"""
