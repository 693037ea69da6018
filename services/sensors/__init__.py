"""The stations and their readings: the fleet and name lookup (``stations``), the
deterministic reading model (``model``), the simulated sensor service (``service``)
and the process that runs it (``process``), the async client (``client``) and the
station query a Query job runs (``query``).

Imports: ``services.core``; the service also serves a trace with ``services.tracing``.
"""
