"""What /healthz and /readyz report: each component, checked for real.

``HealthChecker.report()`` answers (HTTP status, body). The body has one entry per
component — the web process itself, the collector (its heartbeat's age: stale after
``STALE_PERIODS`` periods), the sensor source, the store (writable), the background-job
manager (a fresh worker process writes to the shared job store), and the two trace
services — each ``{"ok", "detail", "ms", "critical"}``, plus the supervisor's restart
counts when ``looplens run`` supervises the app. The status is 503 when a critical
component fails; the trace services are reported but do not make the app unhealthy.

Concurrent checks in one process share one run of each probe (single flight), and the
job probe's result is reused for ``ttl_s``: a burst of health requests forks one worker,
and no two probes share a key in the job store.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import diskcache

from services.core.settings import Settings
from services.core.version import VERSION
from services.live.meta import heartbeat_at, sources_snapshot
from services.ops.supervisor import read_status

STALE_PERIODS = 3  # a collector heartbeat older than this many periods: the collector is down


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    ms: float
    critical: bool = True


def _probe_child(jobs_dir: str, key: str) -> None:
    """In a fresh worker process: prove it can start and write to the shared job store."""
    with diskcache.Cache(jobs_dir) as cache:
        cache.set(key, os.getpid(), expire=60)


async def _probe_worker(jobs_dir: Path, timeout_s: float) -> Check:
    """Fork a worker the way job runs do (from the event-loop thread) and wait for it."""
    started = time.perf_counter()
    key = f"healthz-probe-{uuid.uuid4().hex}"
    proc = multiprocessing.get_context("fork").Process(target=_probe_child, args=(str(jobs_dir), key), daemon=True)
    proc.start()
    await asyncio.to_thread(proc.join, timeout_s)
    ms = (time.perf_counter() - started) * 1000
    if proc.is_alive():
        proc.kill()
        await asyncio.to_thread(proc.join, 1)
        return Check(False, f"worker did not finish in {timeout_s:g} s", ms)
    with diskcache.Cache(str(jobs_dir)) as cache:
        written = cache.pop(key)
    if proc.exitcode != 0 or written != proc.pid:
        return Check(False, f"worker exit code {proc.exitcode}, store has {written!r}", ms)
    return Check(True, f"worker pid {proc.pid} ran a job", ms)


async def _http_check(url: str, timeout_s: float, critical: bool = True) -> Check:
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as s:
            async with s.get(url) as resp:
                ok, detail = resp.status == 200, f"HTTP {resp.status} from {url}"
    except (aiohttp.ClientError, TimeoutError) as err:
        ok, detail = False, f"{url} unreachable: {type(err).__name__}"
    return Check(ok, detail, (time.perf_counter() - started) * 1000, critical)


def _collector(settings: Settings) -> Check:
    started = time.perf_counter()
    at = heartbeat_at(settings.store_path)
    ms = (time.perf_counter() - started) * 1000
    if at is None:
        return Check(False, "no heartbeat in the store yet", ms)
    age, limit = time.time() - at, STALE_PERIODS * settings.collector_period_s
    return Check(age <= limit, f"last heartbeat {age:.1f} s ago (stale after {limit:g} s)", ms)


def _store(settings: Settings) -> Check:
    started = time.perf_counter()
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".healthz-"):
            pass
        ok, detail = True, f"{settings.data_dir} writable"
    except OSError as err:
        ok, detail = False, f"{settings.data_dir} not writable: {err.strerror}"
    return Check(ok, detail, (time.perf_counter() - started) * 1000)


def _source(entry: dict[str, Any]) -> dict[str, Any]:
    """A source's health as the collector last wrote it (a source never makes the app unhealthy:
    a broker being down is the broker's business; it is shown, not failed on)."""
    status = entry["status"]
    keys = ("state", "error", "last_message_at", "messages", "readings", "rejected", "dropped", "reconnects")
    return {key: status[key] for key in keys if key in status} | {"sensors": len(entry.get("sensors", ()))}


class _SingleFlight:
    """Concurrent callers of one probe share its one run; its answer is kept ``ttl_s``
    while it is good (a failing component is looked at again on the next call)."""

    def __init__(self, probe: Callable[[], Awaitable[Check]], ttl_s: float) -> None:
        self.probe, self.ttl_s = probe, ttl_s
        self._task: asyncio.Task[Check] | None = None
        self._kept: tuple[float, Check] | None = None

    async def __call__(self) -> Check:
        if self._kept is not None and time.monotonic() - self._kept[0] <= self.ttl_s and self._kept[1].ok:
            return self._kept[1]
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.probe())
        check = await asyncio.shield(self._task)
        self._kept = (time.monotonic(), check)
        return check


class HealthChecker:
    """Owned by one web process (see the module docstring)."""

    def __init__(self, settings: Settings, timeout_s: float = 2.0, ttl_s: float = 10.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._worker = _SingleFlight(lambda: _probe_worker(settings.jobs_dir, timeout_s), ttl_s)
        self._sensor = _SingleFlight(lambda: _http_check(f"{settings.effective_sensor_url}/health", timeout_s), 1.0)

    async def _checks(self) -> dict[str, Check]:
        s, timeout = self.settings, self.timeout_s
        trace_checks: list[Awaitable[Check]] = [
            _http_check(f"{s.trace_url}/trace/health", timeout, critical=False),
            _http_check(f"{s.effective_sensor_url}/trace/health", timeout, critical=False),
        ]
        # The job probe forks: first, alone, so that no thread of this process is inside
        # SQLite (the other checks) at the fork — the child would inherit its locks.
        worker = await self._worker()
        sensor, collector, store, *traces = await asyncio.gather(
            self._sensor(),
            asyncio.to_thread(_collector, s),
            asyncio.to_thread(_store, s),
            *(trace_checks if s.trace_port else trace_checks[1:]),
        )
        checks = {"web": Check(True, f"pid {os.getpid()} answering", 0.0), "sensor_service": sensor,
                  "collector": collector, "store": store, "worker_pool": worker}  # fmt: skip
        for name, check in zip(("collector_trace", "sensor_trace")[-len(traces) :], traces, strict=True):
            checks[name] = check
        return checks

    async def report(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): 200 when every critical component is well, else 503."""
        checks = await self._checks()
        healthy = all(c.ok for c in checks.values() if c.critical)
        body: dict[str, Any] = {"status": "ok" if healthy else "degraded", "version": VERSION, "pid": os.getpid()}
        body.update({name: asdict(check) for name, check in checks.items()})
        sources = await asyncio.to_thread(sources_snapshot, self.settings)
        if sources:
            body["sources"] = {entry["config"]["name"]: _source(entry) for entry in sources["sources"]}
        supervised = read_status(self.settings.data_dir / "supervisor.json")
        if supervised is not None:
            body["restarts"] = {name: c["restarts"] for name, c in supervised["components"].items()}
        return (200 if healthy else 503), body

    async def ready(self) -> tuple[int, dict[str, Any]]:
        """/readyz: this web process can serve pages (its store is there to read)."""
        store = await asyncio.to_thread(_store, self.settings)
        return (200 if store.ok else 503), {"ready": store.ok, "store": asdict(store)}
