"""The installable package: `pip install .` puts everything the app needs in place, and its
`looplens` command serves the app from any folder (the source tree out of reach)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.server import free_port, gunicorn_env
from services.core.version import VERSION
from tests.helpers import ROOT, get, get_or_none


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project installed (no dependencies: the test venv has them) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-compile",
            "--target",
            str(target),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def looplens(installed: Path, *args: str, **kwargs):
    """The installed console script, run by this venv's Python from an empty folder."""
    env = dict(kwargs.pop("env", None) or os.environ, PYTHONPATH=str(installed))
    return subprocess.Popen(
        [sys.executable, str(installed / "bin" / "looplens"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def test_the_package_holds_the_app_its_pages_assets_and_the_tracers_c_hot_path(installed):
    for part in ("app.py", "shell.py", "ids.py", "pages/live.py", "assets/style.css", "services/core/i18n.py"):
        assert (installed / part).is_file(), part
    assert list((installed / "services" / "tracing").glob("_looptrace*.so")), "the C hot path was not built"
    assert not (installed / "tests").exists()  # the tests stay out of the package


def test_looplens_version_and_usage(installed, tmp_path):
    version = looplens(installed, "--version", cwd=tmp_path)
    assert version.communicate(timeout=30)[0].strip() == f"looplens {VERSION}"
    usage = looplens(installed, cwd=tmp_path)
    out = usage.communicate(timeout=30)[0]
    assert usage.returncode == 2 and "run" in out


def test_looplens_run_serves_the_app_from_another_folder_and_stops_its_children(installed, tmp_path):
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, 1, "data")  # relative: the folder it is started in
    proc = looplens(installed, "run", "--bind", f"127.0.0.1:{port}", "--workers", "1", cwd=tmp_path, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get_or_none(f"{url}/healthz") != 200:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "looplens run never answered /healthz with 200"
            time.sleep(0.3)
        assert get(f"{url}/live")[0] == 200
        status, css = get(f"{url}/assets/style.css")
        assert status == 200 and b"{" in css
        assert (tmp_path / "data" / "readings.sqlite3").is_file()  # the collector writes where it was started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    deadline = time.monotonic() + 5
    while get_or_none(f"http://127.0.0.1:{sensor_port}/health") is not None:
        assert time.monotonic() < deadline, "the sensor service outlived looplens run"
        time.sleep(0.2)
