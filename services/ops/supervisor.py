"""``looplens run``'s supervisor: every long-lived component as a child process of one owner.

``Supervisor(components).run()`` starts each component in order (waiting until it is
ready), then watches them. A child that dies is started again after a back-off that
doubles with each quick death (``backoff_s`` … ``max_backoff_s``) and starts over once a
child has lived ``stable_s``; each restart is logged and counted. SIGTERM and SIGINT stop
every child (last started first: SIGTERM, then SIGKILL after ``stop_timeout_s``) and end
the run with exit code 0; SIGHUP is passed to the components that reload on it (the web
server) and changes nothing else. Every child asks Linux to kill it when the supervisor
dies (``die_with_parent``), so none outlives it, whatever ends the supervisor.

Where things stand is written to ``status_path`` (JSON, replaced atomically) for the
health check and the metrics: per component its pid, state, restarts and last exit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from services.core.children import child_env, die_with_parent

logger = logging.getLogger(__name__)

POLL_S = 0.05  # how often the children are looked at


@dataclass
class Component:
    """One supervised child: its command, environment, and when it counts as started."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[int], bool] | None = None  # given the child's pid; None: at once
    ready_timeout_s: float = 20.0
    reloads_on_hup: bool = False


@dataclass
class _Child:
    component: Component
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = 0.0
    restart_at: float = 0.0  # 0: running, or stopped for good
    last_exit: int | None = None

    def status(self) -> dict[str, Any]:
        running = self.proc is not None and self.proc.poll() is None
        return {
            "pid": self.proc.pid if running and self.proc else None,
            "state": "running" if running else "restarting",
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "since": self.started_at,
        }


class Supervisor:
    """See the module docstring. ``run()`` blocks until a stop signal; call it once."""

    def __init__(
        self,
        components: list[Component],
        status_path: Path,
        *,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        stable_s: float = 60.0,
        stop_timeout_s: float = 10.0,
    ) -> None:
        self.children = [_Child(c) for c in components]
        self.status_path = status_path
        self.backoff_s, self.max_backoff_s, self.stable_s = backoff_s, max_backoff_s, stable_s
        self.stop_timeout_s = stop_timeout_s
        self._stopping = False
        self._hup = False
        self._ran = False

    # -- signals ---------------------------------------------------------------------

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        logger.info("supervisor: %s, stopping every component", signal.Signals(signum).name)
        self._stopping = True

    def _on_hup(self, _signum: int, _frame: FrameType | None) -> None:
        self._hup = True

    # -- children --------------------------------------------------------------------

    def _start(self, child: _Child) -> None:
        component = child.component
        child.proc = subprocess.Popen(
            component.command, env=child_env(component.env), preexec_fn=partial(die_with_parent, os.getpid())
        )
        child.started_at, child.restart_at = time.time(), 0.0
        logger.info("supervisor: %s started, pid %d", component.name, child.proc.pid)
        self._write_status()

    def _wait_ready(self, child: _Child) -> None:
        component, proc = child.component, child.proc
        assert proc is not None
        if component.ready is None:
            return
        deadline = time.monotonic() + component.ready_timeout_s
        while not self._stopping and time.monotonic() < deadline:
            if proc.poll() is not None:
                return  # it died: the watch loop restarts it
            if component.ready(proc.pid):
                logger.info("supervisor: %s ready", component.name)
                return
            time.sleep(0.1)
        if not self._stopping:
            logger.warning("supervisor: %s not ready after %.0f s; going on", component.name, component.ready_timeout_s)

    def _reap(self, child: _Child, now: float) -> None:
        """A child that exited: when it may start again."""
        assert child.proc is not None
        child.last_exit = child.proc.returncode
        lived = now - child.started_at
        child.backoff_s = (
            self.backoff_s
            if lived >= self.stable_s
            else min(max(child.backoff_s * 2, self.backoff_s), self.max_backoff_s)
        )
        child.restart_at = now + child.backoff_s
        logger.warning(
            "supervisor: %s (pid %d) exited with %s after %.1f s; restarting in %.1f s",
            child.component.name, child.proc.pid, child.last_exit, lived, child.backoff_s,
        )  # fmt: skip
        child.proc = None
        self._write_status()

    def _watch(self) -> None:
        while not self._stopping:
            now = time.time()
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None:
                    self._reap(child, now)
                elif child.proc is None and now >= child.restart_at:
                    child.restarts += 1
                    self._start(child)
            if self._hup:
                self._hup = False
                for child in self.children:
                    if child.component.reloads_on_hup and child.proc is not None:
                        child.proc.send_signal(signal.SIGHUP)
            time.sleep(POLL_S)

    def _stop_all(self) -> None:
        running = [c.proc for c in reversed(self.children) if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.terminate()
            deadline = time.monotonic() + self.stop_timeout_s
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL_S)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for child in self.children:
            child.proc = None
        self._write_status(stopped=True)

    def _write_status(self, stopped: bool = False) -> None:
        status = {c.component.name: c.status() for c in self.children}
        if stopped:
            for entry in status.values():
                entry.update(pid=None, state="stopped")
        document = {"pid": os.getpid(), "at": time.time(), "components": status}
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.status_path.with_suffix(".partial")
        partial.write_text(json.dumps(document))
        partial.replace(self.status_path)

    def run(self) -> int:
        if self._ran:
            raise RuntimeError("a Supervisor runs once")
        self._ran = True
        previous = {sig: signal.signal(sig, self._on_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hup)
        try:
            for child in self.children:
                if self._stopping:
                    break
                self._start(child)
                self._wait_ready(child)
            self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        logger.info("supervisor: every component stopped")
        return 0


def read_status(path: Path) -> dict[str, Any] | None:
    """What the running supervisor last wrote, or None (none runs: the app runs another way,
    or the file is a stopped run's)."""
    try:
        document: dict[str, Any] = json.loads(path.read_text())
        os.kill(int(document["pid"]), 0)
    except (FileNotFoundError, ValueError, KeyError, TypeError, ProcessLookupError, PermissionError):
        return None
    return document
