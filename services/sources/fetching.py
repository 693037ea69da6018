"""What the HTTP sources (Open-Meteo, Home Assistant) share: a failure with its message
key, a doubling backoff, a body read within a size cap, a short excerpt for a reject, and
the Unix time of an ISO-8601 time they report."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

MAX_BODY = 16 * 2**20  # a big Home Assistant's /api/states is a few MB; more is not an answer we want


class Failure(Exception):
    """A request that gave nothing usable: ``key``/``params`` for a page, ``str()`` in words."""

    def __init__(self, key: str, words: str, **params: Any) -> None:
        super().__init__(words)
        self.key = key
        self.params = params


class Backoff:
    """Waits that double from ``first`` up to ``cap``; ``reset`` after a success."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, cap
        self.delay = min(first, cap)

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.cap)

    def reset(self) -> None:
        self.delay = min(self.first, self.cap)


async def read_capped(resp: aiohttp.ClientResponse, cap: int = MAX_BODY) -> bytes:
    """The body, or ``Failure`` once it passes ``cap`` bytes (never held whole past it)."""
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise Failure("sources.err.bad_answer", f"an answer over {cap} bytes", detail=f"> {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def excerpt(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:120]


def iso_seconds(value: Any, utc_offset_s: float = 0.0) -> float | None:
    """Unix seconds of an ISO-8601 time ("2026-11-27T10:45:12.5+00:00"); one without an
    offset is at ``utc_offset_s`` from UTC. None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC) - timedelta(seconds=utc_offset_s)
    return when.timestamp()
