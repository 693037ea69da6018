"""The Fleet page's data: every sensor of every source at once (``board``: the current
reading, the last hour, today's min/max from the rollups, status and battery of each
sensor, and which rows changed since the last push), what a push may carry within its
byte budget (``outbox``), the sensors × 24 h heat strip (``heat``) and the page's
filters, checked (``filters``).

Imports: ``services.core``, ``services.sensors``, ``services.live`` (the reading store,
its rollups and what the collector writes beside them).
"""
