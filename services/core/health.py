"""What /healthz reports: is the sensor service reachable, can worker processes run jobs."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import diskcache

from services.core.settings import VERSION, Settings

_PROBE_KEY = "healthz-worker-probe"


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    ms: float


def _probe_child(jobs_dir: str) -> None:
    """In a fresh worker process: prove it can start and write to the shared job store."""
    with diskcache.Cache(jobs_dir) as cache:
        cache.set(_PROBE_KEY, os.getpid(), expire=60)


async def _probe_worker(jobs_dir: Path, timeout_s: float) -> Check:
    """Fork a worker the way job runs do (from the event-loop thread) and wait for it."""
    started = time.perf_counter()
    proc = multiprocessing.get_context("fork").Process(target=_probe_child, args=(str(jobs_dir),), daemon=True)
    proc.start()
    await asyncio.to_thread(proc.join, timeout_s)
    ms = (time.perf_counter() - started) * 1000
    if proc.is_alive():
        proc.kill()
        await asyncio.to_thread(proc.join, 1)
        return Check(False, f"worker did not finish in {timeout_s:g} s", ms)
    with diskcache.Cache(str(jobs_dir)) as cache:
        written = cache.get(_PROBE_KEY)
    if proc.exitcode != 0 or written != proc.pid:
        return Check(False, f"worker exit code {proc.exitcode}, store has {written!r}", ms)
    return Check(True, f"worker pid {proc.pid} ran a job", ms)


async def _check_sensor(url: str, timeout_s: float) -> Check:
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as s:
            async with s.get(f"{url}/health") as resp:
                ok = resp.status == 200
                detail = f"HTTP {resp.status} from {url}"
    except (TimeoutError, aiohttp.ClientError) as err:
        ok, detail = False, f"{url} unreachable: {type(err).__name__}"
    return Check(ok, detail, (time.perf_counter() - started) * 1000)


class HealthChecker:
    """Owned by one web process. Worker probes fork, so their result is reused for ``ttl_s``."""

    def __init__(self, settings: Settings, timeout_s: float = 2.0, ttl_s: float = 10.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self._worker: tuple[float, Check] | None = None

    async def _worker_check(self) -> Check:
        now = time.monotonic()
        if self._worker is None or now - self._worker[0] > self.ttl_s or not self._worker[1].ok:
            check = await _probe_worker(self.settings.jobs_dir, self.timeout_s)
            self._worker = (now, check)
        return self._worker[1]

    async def report(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): 200 when everything answers, 503 otherwise."""
        sensor, worker = await asyncio.gather(
            _check_sensor(self.settings.effective_sensor_url, self.timeout_s), self._worker_check()
        )
        healthy = sensor.ok and worker.ok
        body = {
            "status": "ok" if healthy else "degraded",
            "version": VERSION,
            "pid": os.getpid(),
            "sensor_service": asdict(sensor),
            "worker_pool": asdict(worker),
        }
        return (200 if healthy else 503), body
