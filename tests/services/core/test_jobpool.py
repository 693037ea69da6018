"""The job pool with real worker processes: results and progress come back as they happen,
a worker is kept between jobs, a cancelled job's worker is killed, a full pool says so."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import psutil
import pytest

from services.core.jobpool import JobCancelled, JobPool, PoolBusy


async def napping(seconds: float, progress) -> int:
    """A job: says where it runs, sleeps, answers its pid."""
    progress(os.getpid())
    await asyncio.sleep(seconds)
    return os.getpid()


async def has_imported(module: str, progress) -> bool:
    return module in sys.modules


async def failing(progress) -> None:
    raise ValueError("a job's own fault")


def test_results_and_progress_come_from_a_kept_worker_and_a_failure_keeps_it():
    pool = JobPool(1)
    try:
        seen: list[int] = []
        pid = asyncio.run(pool.run("a", napping, 0, on_progress=seen.append))
        assert pid != os.getpid() and seen == [pid]
        with pytest.raises(RuntimeError, match="a job's own fault"):
            asyncio.run(pool.run("b", failing, on_progress=seen.append))
        assert asyncio.run(pool.run("c", napping, 0, on_progress=seen.append)) == pid
    finally:
        pool.close()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_cancel_kills_the_worker_and_a_full_pool_refuses_with_a_count():
    pool = JobPool(1)

    async def body() -> None:
        started: list[int] = []
        job = asyncio.create_task(pool.run("slow", napping, 30, on_progress=started.append))
        while not started:
            await asyncio.sleep(0.01)
        with pytest.raises(PoolBusy):
            await pool.run("second", napping, 0, on_progress=print)
        assert pool.refused == 1 and pool.worker_pid("slow") == started[0]
        began = time.perf_counter()
        assert pool.cancel("slow") and not pool.cancel("no-such-job")
        with pytest.raises(JobCancelled):
            await job
        assert time.perf_counter() - began < 2
        assert not psutil.pid_exists(started[0]) or psutil.Process(started[0]).status() == psutil.STATUS_ZOMBIE
        assert await pool.run("third", napping, 0, on_progress=print) != started[0]  # a fresh worker

    try:
        asyncio.run(body())
    finally:
        pool.close()


def test_warming_starts_one_idle_worker_that_the_first_job_uses():
    pool = JobPool(2)
    try:
        pool.warm()
        pool.warm()  # one is idle: no second
        (warmed,) = pool.idle_pids()
        assert asyncio.run(pool.run("a", napping, 0, on_progress=print)) == warmed
    finally:
        pool.close()


def test_a_worker_imports_its_jobs_modules_as_it_starts_not_when_the_first_job_comes():
    job_module = "services.ops.query_job"  # the Query page's job: aiohttp, the store … (0.4 s here)
    for preload, expected in (((job_module,), True), ((), False)):
        pool = JobPool(1, preload=preload)
        try:
            assert asyncio.run(pool.run("a", has_imported, job_module, on_progress=print)) is expected
        finally:
            pool.close()
