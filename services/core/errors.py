"""The one exception hierarchy of looplens services.

    LooplensError                error.internal: something went wrong on our side
    ├── QueryInputError          the user's query cannot be run as typed
    │   ├── EmptyQuery
    │   ├── QueryTooLong
    │   └── UnknownStation       carries the closest station names
    ├── SensorError              the sensor service did not give a usable reading
    │   ├── SensorTimeout        no answer within the client timeout
    │   ├── SensorUnavailable    connection refused / service down
    │   ├── SensorServerError    the service answered 5xx
    │   ├── SensorBadPayload     the answer was not the JSON we expect
    │   └── StationNotFound      the service does not know the station (404)
    ├── LiveInputError           a Live page setting that cannot be used
    ├── LabInputError            a lab workload the lab will not run (limits)
    ├── SourceInputError         a source's settings that cannot be used (sources.err.*)
    ├── ActionRefused            an action the guard did not let through (why: guard.*)
    ├── FleetInputError          a Fleet page filter or selection that cannot be used (fleet.err.*)
    └── TraceError               a Trace page request could not be carried out
        ├── TraceUnavailable     the trace service did not answer
        ├── TraceForbidden       it answered that the token is wrong or missing
        └── TraceRefused         it answered no

Every error has a ``code``: the full key of its message in ``services.core.i18n``, fixed
by its class or, for the input errors and ``TraceRefused``, given where it is raised
(which limit, which reason). ``params`` are the values that message may show.
Tracebacks go to the log; the page only ever sees ``code`` and ``params``.
"""

from __future__ import annotations

from typing import Any


class LooplensError(Exception):
    """Something looplens could not do; ``code`` keys its message, ``params`` fill it."""

    code = "error.internal"

    def __init__(self, message: str = "", **params: Any) -> None:
        super().__init__(message or self.code)
        self.params: dict[str, Any] = params


class _KeyedError(LooplensError):
    """An error whose message key is chosen where it is raised: ``Error(code, **params)``."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, **params)
        self.code = code


class QueryInputError(LooplensError):
    """The user's query cannot be run as typed."""

    code = "error.bad_input"


class EmptyQuery(QueryInputError):
    """Nothing was typed."""

    code = "error.empty"


class QueryTooLong(QueryInputError):
    """More was typed than any station name could be."""

    code = "error.too_long"


class UnknownStation(QueryInputError):
    """No station has that name; ``params`` carry the closest ones."""

    code = "error.unknown_station"


class SensorError(LooplensError):
    """The sensor service did not give a usable reading (after ``attempts`` tries)."""

    code = "error.sensor_error"

    def __init__(self, message: str = "", *, attempts: int = 1, **params: Any) -> None:
        super().__init__(message, **params)
        self.attempts = attempts
        self.params["attempts"] = attempts


class SensorTimeout(SensorError):
    """No answer within the client's timeout."""

    code = "error.sensor_timeout"


class SensorUnavailable(SensorError):
    """The connection was refused: the service is down."""

    code = "error.sensor_unavailable"


class SensorServerError(SensorError):
    """The service answered with a 5xx status."""

    code = "error.sensor_server_error"


class SensorBadPayload(SensorError):
    """The answer was not the JSON a reading is."""

    code = "error.sensor_bad_payload"


class StationNotFound(SensorError):
    """The service does not know the station (404)."""

    code = "error.station_not_found"


class LiveInputError(_KeyedError):
    """A Live page setting that cannot be used (``live.err.*``; ``field`` names it)."""


class LabInputError(_KeyedError):
    """A lab workload the lab will not run (``lab.err.*``: which limit)."""


class SourceInputError(_KeyedError):
    """A source's settings that cannot be used (``sources.err.*``: which one, why)."""


class ActionRefused(_KeyedError):
    """An action that changes the running system was not let through (``guard.*``: why)."""


class TraceError(LooplensError):
    """A Trace page request could not be carried out."""

    code = "trace.err.unavailable"


class TraceUnavailable(TraceError):
    """The trace service did not answer."""

    code = "trace.err.unavailable"


class TraceForbidden(TraceError):
    """The trace service refused the token the request carried (or its lack)."""

    code = "trace.err.forbidden"


class TraceRefused(_KeyedError, TraceError):
    """The trace service answered no; ``code`` is its reason (``trace.err.*``)."""


class FleetInputError(_KeyedError):
    """A Fleet page filter or selection that cannot be used; ``code`` says which and why."""
