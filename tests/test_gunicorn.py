"""The production server: the Dockerfile's gunicorn command and config, 2 workers, on loopback."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.server import GUNICORN, free_port, gunicorn_env
from tests.helpers import ROOT, get, get_or_none


def dockerfile_command() -> list[str]:
    """The CMD line of the Dockerfile, so this test runs exactly what the image runs."""
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)
    return json.loads(cmd.group(1))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, 2, str(tmp_path_factory.mktemp("gunicorn-data")))
    cmd = dockerfile_command()
    assert cmd[0] == "python"
    cmd[0] = sys.executable
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get(f"{url}/healthz")[0] in (200, 503):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"gunicorn did not start: {shlex.join(cmd)}\n{proc.stdout.read().decode()}")
    yield url, sensor_port, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)


def test_healthz_reports_sensor_and_workers(served):
    url, sensor_port, _ = served
    status, body = get(f"{url}/healthz")
    health = json.loads(body)
    assert status == 200, health
    assert health["status"] == "ok" and health["version"]
    assert f":{sensor_port}" in health["sensor_service"]["detail"]  # the embedded service
    assert health["worker_pool"]["ok"] is True


def test_first_requests_to_every_worker_succeed(served):
    url = served[0]
    paths = ["/", "/query", "/_dash-layout", "/_dash-dependencies", "/assets/style.css"] * 8
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda p: get(url + p)[0], paths))
    assert statuses == [200] * len(paths)


@pytest.mark.browser
def test_a_query_end_to_end_through_two_workers(served, dash_br):
    url = served[0]
    dash_br.server_url = url
    dash_br.wait_for_page(url=f"{url}/query")
    for typed in ("Guangzhou", "深圳", "lab-1"):
        box = dash_br.find_element("#query-input")
        dash_br.clear_input(box)
        box.send_keys(typed)
        dash_br.find_element("#query-submit").click()
        dash_br.wait_for_contains_text("#query-output .sentence", "Current temperature", timeout=15)
        web = int(dash_br.find_element("#query-output .web-pid").text)
        worker = int(dash_br.find_element("#query-output .worker-pid").text)
        assert web != worker
    assert dash_br.get_logs() == []


def test_stopping_the_server_stops_the_embedded_sensor_service(tmp_path):
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, 1, str(tmp_path))
    cmd = [GUNICORN, "-c", "gunicorn.conf.py"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while get_or_none(f"http://127.0.0.1:{sensor_port}/health") != 200:
            assert time.monotonic() < deadline, "embedded sensor service never answered"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)  # possibly while the master is still starting
        proc.wait(20)
    deadline = time.monotonic() + 5
    while get_or_none(f"http://127.0.0.1:{sensor_port}/health") is not None:
        assert time.monotonic() < deadline, "sensor service outlived the server"
        time.sleep(0.2)


def test_every_response_carries_the_security_headers(served):
    url = served[0]
    for path in ("/", "/live", "/assets/style.css", "/_dash-layout", "/healthz", "/readyz", "/nowhere"):
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=10) as resp:
                headers = resp.headers
        except urllib.error.HTTPError as err:  # /nowhere: the app's 404
            headers = err.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy, path
        assert "'sha256-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], path


def test_an_unknown_address_is_a_404_with_the_app_and_a_page_is_a_200(served):
    url = served[0]
    status, body = get(f"{url}/no/such/page")
    assert status == 404 and b'<html lang="en">' in body and b"_dash-config" in body  # the app shows its 404 page
    for path in ("/", "/live", "/live/", "/sources", "/live?stations=beijing"):
        assert get(f"{url}{path}")[0] == 200, path
    assert get(f"{url}/assets/nothing-here.css")[0] == 404  # Dash's own answer, not ours
    assert get(f"{url}/_dash-layout")[0] == 200


def test_readyz_answers_while_the_store_is_there(served):
    status, body = get(f"{served[0]}/readyz")
    assert status == 200 and json.loads(body)["ready"] is True


def test_metrics_count_across_processes(served):
    url = served[0]
    for _ in range(3):  # a few callback requests, whichever worker answers
        get(f"{url}/_dash-layout")
    deadline = time.monotonic() + 20
    while True:
        status, body = get(f"{url}/metrics")
        text = body.decode()
        stored = [
            line for line in text.splitlines() if line.startswith('looplens_readings_stored_total{source="simulator"}')
        ]
        if stored and float(stored[0].split()[-1]) > 0:
            break
        assert time.monotonic() < deadline, "no stored readings counted"
        time.sleep(0.5)
    assert status == 200
    assert 'looplens_event_loop_lag_seconds{process="collector"}' in text  # the collector's own number
    assert 'looplens_restarts{component="collector"} 0.0' in text  # from the supervisor
    assert 'looplens_jobs_running{kind="query"}' in text


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'"x"', b'{"output": "no-such.children", "inputs": [], "state": []}',
     b'{"output": "lang.value", "inputs": "bad"}', b"[" * 5000 + b"]" * 5000, b"\xff"],
)  # fmt: skip
def test_a_malformed_callback_request_gets_a_400_not_a_500(served, body):
    request = urllib.request.Request(
        f"{served[0]}/_dash-update-component", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status, answer = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, answer = err.code, err.read()
    assert status == 400 and json.loads(answer) == {"error": "malformed callback request"}
