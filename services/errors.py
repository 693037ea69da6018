"""The one exception hierarchy of looplens services.

    LooplensError
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
    ├── LabInputError            a lab workload the lab will not run (limits)
    └── TraceError               a Trace page request could not be carried out
        ├── TraceUnavailable     the collector's trace service did not answer
        └── TraceRefused         it answered no; ``code`` is the reason's message key

Every error has a stable ``code`` (used to pick a translated message) and
``params`` (values that message may show). Tracebacks go to the log; the page
only ever sees ``code`` and ``params``.
"""

from __future__ import annotations

from typing import Any


class LooplensError(Exception):
    code = "internal"

    def __init__(self, message: str = "", **params: Any) -> None:
        super().__init__(message or self.code)
        self.params: dict[str, Any] = params


class QueryInputError(LooplensError):
    code = "bad_input"


class EmptyQuery(QueryInputError):
    code = "empty"


class QueryTooLong(QueryInputError):
    code = "too_long"


class UnknownStation(QueryInputError):
    code = "unknown_station"


class SensorError(LooplensError):
    code = "sensor_error"

    def __init__(self, message: str = "", *, attempts: int = 1, **params: Any) -> None:
        super().__init__(message, **params)
        self.attempts = attempts
        self.params["attempts"] = attempts


class SensorTimeout(SensorError):
    code = "sensor_timeout"


class SensorUnavailable(SensorError):
    code = "sensor_unavailable"


class SensorServerError(SensorError):
    code = "sensor_server_error"


class SensorBadPayload(SensorError):
    code = "sensor_bad_payload"


class StationNotFound(SensorError):
    code = "station_not_found"


class LabInputError(LooplensError):
    """``code`` picks the message, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, **params)
        self.code = code


class TraceError(LooplensError):
    code = "trace.err.unavailable"


class TraceUnavailable(TraceError):
    code = "trace.err.unavailable"


class TraceRefused(TraceError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.code = key
