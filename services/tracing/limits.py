"""The Trace page's limits, in one place: the hub enforces them, the page checks them
first and its messages quote them (``MESSAGE_PARAMS``)."""

from __future__ import annotations

MAX_WINDOW_S = 120.0  # the longest window a page may ask for
MAX_BLOCK_MS = 5000  # "block the loop for N ms": 1 … this
MAX_JOBS, MAX_JOB_MS = 64, 500  # "run pool jobs": 1 … MAX_JOBS jobs of 1 … MAX_JOB_MS each
SLOW_FLOOR_MS = 1.0  # callbacks this long or longer are kept as slow
SLOW_KEPT = 200  # slow callbacks kept: the hub's recent ones, a page's table

MESSAGE_PARAMS = {"block_limit": MAX_BLOCK_MS, "jobs_limit": MAX_JOBS, "job_ms_limit": MAX_JOB_MS}
