"""Live readings: the collector that runs every source into the store (``collector``) and
the process that runs it (``process``), the reading store (``store``; its statistics,
``rollups``, and each sensor's newest reading, ``newest``, kept by its triggers) and what the
collector writes beside the readings (``meta``: heartbeat, the sources' state), a worker's
ear on the store that wakes its Live streams when rows come (``bell``), what
one Live page shows (``view``: settings and thresholds; ``session``: snapshots and
deltas) and the CSV export (``export``).

Imports: ``services.core``, ``services.sensors``, ``services.sources``; the collector serves a trace of its
loop with ``services.tracing``.
"""
