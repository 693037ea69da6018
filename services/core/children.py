"""Owned child processes: ``ChildProcess`` starts one, waits until it is ready and stops
it; the child watches its launcher with ``exit_when_orphaned`` and exits when it dies.
Each component that runs as a child has its own subclass beside it
(``services.sensors.process``, ``services.live.process``)."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import subprocess
import time
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]  # the app's folder (its source, or site-packages)
# The folders of the project's own code; code elsewhere is a library.
APP_PACKAGES = ("services", "callbacks", "views", "pages", "looplens", "tests", "bench")


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int = 0) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (a pool worker whose parent was
    killed would otherwise wait forever, and keep what it inherited, a port among them).
    ``parent_pid``: the parent it must still have (else: any but init) — if it died before
    the request took effect, this process exits now."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: owners still stop their known children
        return
    if os.getppid() != parent_pid if parent_pid else os.getppid() == 1:
        os._exit(1)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for ``python -m services…`` in a child: this one, with the app's folder
    first on its path. The child keeps this process's working folder, so relative paths
    (the data folder) mean the same in both, whether the app runs from its source or installed."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, **(extra or {}), "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


async def exit_when_orphaned(parent_pid: int, poll_s: float = 0.5) -> None:
    """Return once the process that started this one is gone (the child then stops)."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(poll_s)
    logger.warning("parent %d is gone; stopping", parent_pid)


class ChildProcess:
    """One owned child: ``start()`` waits until ``ready()``; ``close()`` stops it."""

    name = "child"

    def __init__(self, start_timeout_s: float = 15.0, env: dict[str, str] | None = None) -> None:
        self.start_timeout_s = start_timeout_s
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        me = os.getpid()
        self._proc = subprocess.Popen(  # the child dies with this process, whatever ends it
            [*self.command(), "--parent-pid", str(me)], env=child_env(self.env), preexec_fn=lambda: die_with_parent(me)
        )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise RuntimeError(f"{self.name} exited with code {code} at start")
            if self.ready():
                logger.info("embedded %s pid %d ready", self.name, self._proc.pid)
                return
            time.sleep(0.1)
        self.close()
        raise RuntimeError(f"{self.name} was not ready in {self.start_timeout_s:g} s")

    def close(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)
        self._proc = None

    def __enter__(self) -> ChildProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
