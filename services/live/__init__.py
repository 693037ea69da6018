"""Live readings: the collector that polls every station (``collector``) and the
process that runs it (``process``), the reading store (``store``) and what the
collector writes beside the readings (``meta``: heartbeat, polled stations), what
one Live page shows (``view``: settings and thresholds; ``session``: snapshots and
deltas) and the CSV export (``export``).

Imports: ``services.core``, ``services.sensors``; the collector serves a trace of its
loop with ``services.tracing``.
"""
