"""What the HTTP sources' tests share: a fake served on a free loopback port, the first n
readings of a source, and waiting for a condition."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from services.sources.base import BaseSource


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """``app`` on 127.0.0.1 at a port the system picks: (its runner, that port)."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def take(src: BaseSource, n: int, timeout: float = 5.0) -> list[Any]:
    stream = src.readings()
    out = []
    try:
        async with asyncio.timeout(timeout):
            while len(out) < n:
                out.append(await anext(stream))
    finally:
        await stream.aclose()
    return out


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
