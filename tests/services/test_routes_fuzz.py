"""Every HTTP route of the sensor service and of the trace routes it serves, fuzzed with
hypothesis against a real process: whatever arrives, never a 5xx, never a traceback in
the body, and the process still answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.server import free_port
from services.sensors.process import SensorServiceProcess

# Numbers as text, mostly ones a route must refuse; the valid ones stay small, so that a
# generated request cannot block the loop or hang a station for long.
WEIRD = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "", " ", "0x10", "1_0", "١٢", "9" * 5000, "-1"]
NUMBERS = st.one_of(
    st.sampled_from(WEIRD),
    st.sampled_from(WEIRD),
    st.sampled_from(["0", "1", "2", "1e9", "3.5", "-0", "1e-300"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30),
)
SEGMENTS = st.one_of(
    st.sampled_from(["beijing", "lab-1", "sim-0001", "9" * 5000, "..", "%00", "%2F", "北京", " "]),
    st.text(max_size=40),
    st.integers(0, 10**30).map(str),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FAULTS = st.fixed_dictionaries(
    {},
    optional={
        "default": st.dictionaries(
            st.sampled_from(["latency_ms", "jitter_ms", "error_rate", "hang_rate", "malformed_rate", "bogus"]),
            st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5), st.none()),
            max_size=3,
        ),
        "stations": st.dictionaries(SEGMENTS, JSON_VALUES, max_size=2),
    },
)
BODIES = st.one_of(
    FAULTS.map(lambda body: json.dumps(body).encode()),
    JSON_VALUES.map(lambda body: json.dumps(body).encode()),
    st.sampled_from(
        [
            b'{"default": {"latency_ms": NaN}}',
            b'{"default": {"latency_ms": Infinity}}',
            b'{"default": {"latency_ms": 1e400}}',
            b"[" * 30_000 + b"]" * 30_000,
            b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
            b"\xff\xfe not utf-8",
            b"",
            b"x" * 200_000,
        ]
    ),
    st.binary(max_size=200),
)
ROUTES = [  # (method, path, the query parameters it reads)
    ("GET", "/health", ()),
    ("GET", "/stations", ()),
    ("GET", "/stations/{}", ("at", "latency_ms")),
    ("GET", "/faults", ()),
    ("PUT", "/faults", ()),
    ("GET", "/trace", ("after", "window_s")),
    ("GET", "/trace/health", ()),
    ("POST", "/trace/watch", ()),
    ("GET", "/trace/tasks/{}", ()),
    ("POST", "/trace/tasks/{}/cancel", ()),
    ("POST", "/trace/block", ("ms",)),
    ("POST", "/trace/jobs", ("n", "ms")),
    ("GET", "/trace/export", ("window_s",)),
    ("GET", "/{}", ()),
    ("DELETE", "/faults", ()),
]


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    method, template, names = draw(st.sampled_from(ROUTES))
    params = draw(st.dictionaries(st.sampled_from([*names, "x"]), NUMBERS, max_size=len(names) + 1))
    return method, template.format(urllib.parse.quote(draw(SEGMENTS), safe="")), params, draw(BODIES)


@pytest.fixture(scope="module")
def service():
    with SensorServiceProcess(port=free_port(), seed=3, stations=20) as process:
        yield process


def call(url: str, method: str, body: bytes | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def reset(service: SensorServiceProcess) -> None:
    """Fast, fault-free sensors again: a fuzzed PUT may have made them slow or failing."""
    call(f"{service.url}/faults", "PUT", json.dumps({"default": {"latency_ms": 0, "jitter_ms": 0}}).encode())


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests())
def test_no_input_gets_a_5xx_or_a_traceback(service, request):
    method, path, params, body = request
    query = urllib.parse.urlencode(params)
    status, answer = call(f"{service.url}{path}?{query}", method, body if method in ("PUT", "POST") else None)
    if method == "PUT":
        reset(service)
    assert status < 500, (method, path, query, status, answer[:300])
    assert b"Traceback" not in answer
    assert call(f"{service.url}/health", "GET", None)[0] == 200  # the process still answers
