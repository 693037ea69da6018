"""The image, built and run for real: podman builds the Dockerfile (on a Debian base made
here when no registry has one) and runs the container with a published loopback port and
a named volume. Skipped only where the machine cannot run containers, and never in CI."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import image
from scripts.server import free_port
from tests.helpers import get_or_none

TAG = "localhost/looplens:test"
BUILT: dict[str, str] = {}  # what the build took, said by the last test
ASIDE: dict[str, subprocess.Popen[bytes]] = {}  # the build started with the session (``start_aside``)
ASIDE_LOG = Path(tempfile.gettempdir()) / f"looplens-image-build-{os.getpid()}.log"
TOKEN = "image-test-token"
PROBE = """
import sqlite3, sys, urllib.request, urllib.error
if sys.argv[1] == "rows":  # the newest id, and how many rows have an id up to it
    db = sqlite3.connect("/data/readings.sqlite3")
    newest = db.execute("SELECT MAX(id) FROM readings").fetchone()[0] or 0
    up_to = int(sys.argv[2]) if len(sys.argv) > 2 else newest
    print(newest, db.execute("SELECT COUNT(*) FROM readings WHERE id <= ?", (up_to,)).fetchone()[0])
else:
    request = urllib.request.Request("http://127.0.0.1:8052/trace/block?ms=5", method="POST",
                                     headers={"X-Looplens-Token": sys.argv[2]} if len(sys.argv) > 2 else {})
    try:
        print(urllib.request.urlopen(request, timeout=5).status)
    except urllib.error.HTTPError as err:
        print(err.code)
"""


def runnable() -> str | None:
    """Why containers cannot run here, or None."""
    if image.tool() is None:
        return "no podman or docker on this machine"
    if "podman" in (image.tool() or "") and not any(os.path.exists(p) for p in ("/usr/sbin/runc", "/usr/bin/runc")):
        return "podman without runc"
    return None


def start_aside() -> None:
    """Start the build now, beside the session's other tests (conftest calls this once the
    session holds a test of this file): it is mostly waiting on downloads, and took 90 s of a
    fresh machine's 16-minute suite when the suite waited for it."""
    if runnable() is None and "build" not in ASIDE:
        ASIDE["build"] = image.build_aside(TAG, ASIDE_LOG)


def stop_aside() -> None:
    """The session ends: a build it started and no test awaited does not outlive it."""
    if (aside := ASIDE.pop("build", None)) is not None:
        aside.kill()
        aside.wait()


@pytest.fixture(scope="module")
def built() -> Iterator[str]:
    why = runnable()
    if why is not None:
        assert not os.environ.get("CI"), f"CI must run the image test: {why}"
        pytest.skip(why)
    aside = ASIDE.pop("build", None)
    if aside is None:
        BUILT["said"] = "image " + image.summary(TAG, image.build(TAG))
    else:
        aside.wait(timeout=1200)
        output = ASIDE_LOG.read_text(errors="replace").strip()
        ASIDE_LOG.unlink()
        assert aside.returncode == 0, f"the image's build failed:\n{output[-3000:]}"
        BUILT["said"] = "image " + output.splitlines()[-1] + " (beside the other tests)"
    yield TAG


class Container:
    """One running container of the image, its port published on loopback, its data in a named volume."""

    def __init__(self, tag: str, *env: str) -> None:
        self.name = f"looplens-test-{uuid.uuid4().hex[:8]}"
        self.volume = f"{self.name}-data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        flags = [flag for pair in (("-e", e) for e in env) for flag in pair]
        image.run("run", "-d", "--name", self.name, "-p", f"127.0.0.1:{self.port}:8050",
                  "-v", f"{self.volume}:/data", *flags, tag, capture=True)  # fmt: skip

    def exec(self, *args: str) -> str:
        return image.run("exec", self.name, *args, capture=True).stdout.strip()

    def probe(self, *args: str) -> str:
        return self.exec("python", "-c", PROBE, *args)

    def healthy_within(self, seconds: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if get_or_none(f"{self.url}/healthz") == 200:
                return time.monotonic() - started
            time.sleep(0.5)
        logs = image.run("logs", "--tail", "30", self.name, capture=True, check=False)
        raise AssertionError(f"/healthz not 200 within {seconds} s:\n{logs.stdout}{logs.stderr}")

    def close(self) -> None:
        image.run("rm", "-f", "-t", "2", self.name, check=False, capture=True)
        image.run("volume", "rm", "-f", self.volume, check=False, capture=True)


@pytest.fixture
def container(built: str) -> Iterator[Container]:
    running = Container(built)
    yield running
    running.close()


def test_the_container_is_healthy_as_its_own_user_keeps_its_data_and_stops_cleanly(container):
    container.healthy_within(60)
    assert container.exec("id", "-u") == "10001"  # not root
    assert image.run("healthcheck", "run", container.name, check=False, capture=True).returncode == 0
    time.sleep(2)
    newest, before = map(int, container.probe("rows").split())
    assert newest > 0 and before > 0
    image.run("restart", "-t", "10", container.name, capture=True)
    container.healthy_within(60)
    assert int(container.probe("rows", str(newest)).split()[1]) == before  # the volume kept every one of them
    assert container.probe("block") == "403"  # read-only by default: no action, even from inside
    started = time.monotonic()
    image.run("stop", "-t", "10", container.name, capture=True)
    assert time.monotonic() - started <= 10
    code = image.run("inspect", container.name, "--format", "{{.State.ExitCode}}", capture=True).stdout.strip()
    assert code == "0"


def test_with_the_operator_token_an_action_goes_through_only_with_it(built):
    running = Container(built, "LOOPLENS_READ_ONLY=false", f"LOOPLENS_OPERATOR_TOKEN={TOKEN}")
    try:
        running.healthy_within(60)
        assert running.probe("block") == "403"
        assert running.probe("block", "wrong") == "403"
        assert running.probe("block", TOKEN) == "200"
        logs = image.run("logs", running.name, capture=True)
        assert TOKEN not in logs.stdout + logs.stderr
    finally:
        running.close()


def test_the_image_holds_no_tests_no_git_and_no_compiler(built, capsys):
    check = "test ! -e /app/tests && test ! -e /app/.git && test ! -e /app/bench && ! command -v gcc && ! command -v cc"
    result = image.run("run", "--rm", built, "sh", "-c", check, check=False, capture=True)
    assert result.returncode == 0, result.stdout + result.stderr
    ls = image.run("run", "--rm", built, "ls", "/app", capture=True).stdout.split()
    assert "looplens" in ls and "services" in ls
    with capsys.disabled():  # in the run's output, whatever the capture
        print(f"\n{BUILT.get('said', '')}")
