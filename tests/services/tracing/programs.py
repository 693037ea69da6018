"""Real programs traced by the agent, as the tests run them: a script written to a folder,
started as a subprocess the way the README says (looplens's folder on PYTHONPATH), and the
agent's address and token read from its banner; and a request to its routes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from services.core.children import ROOT
from services.tracing.routes import TOKEN_HEADER

BANNER = re.compile(r"at (http://127\.0\.0\.1:\d+)/trace .*: (\S+)$")


@contextmanager
def program(script: Path, source: str, command: Sequence[str], args: Sequence[str] = ()) -> Iterator[tuple]:
    """Write ``source`` to ``script``, run ``[*command, script, *args]``; yield (process,
    agent url, token) once the agent listens. The process is killed after."""
    script.write_text(source)
    process = subprocess.Popen(
        [*command, str(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        banner = process.stderr.readline()
        found = BANNER.search(banner)
        assert found, f"no agent banner: {banner!r} {process.stderr.read() if process.poll() is not None else ''}"
        yield process, found.group(1), found.group(2)
    finally:
        process.kill()
        process.wait()


def ask(url: str, token: str = "", method: str = "GET") -> tuple[int, dict]:
    """(status, JSON answer) of one route."""
    request = urllib.request.Request(url, method=method, headers={TOKEN_HEADER: token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def recorded(folder: Path, name: str, source: str, args: Sequence[str] = ()) -> Path:
    """Run ``source`` as ``looplens trace --record`` runs a program, to its end; its recording."""
    out = folder / f"{name}.llrec"
    command = [sys.executable, "-m", "looplens", "trace", "--record", str(out)]
    with program(folder / f"{name}.py", source, command, args) as (process, _url, _token):
        assert process.wait(timeout=30) == 0, process.stderr.read()
    return out
