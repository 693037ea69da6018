"""The web workers' side of the trace: an aiohttp client for a loop's trace routes (the
collector's, the sensor service's, or an agent's in a traced program; see
``services.tracing.hub`` and ``services.tracing.agent``). A refused token is a
``TraceForbidden``, an agent's "no" a ``TraceRefused`` with its reason."""

from __future__ import annotations

from typing import Any

import aiohttp

from services.core.errors import TraceForbidden, TraceRefused, TraceUnavailable
from services.tracing.routes import TOKEN_HEADER


class TraceClient:
    """``async with TraceClient(url) as trace: await trace.poll()``."""

    def __init__(self, base_url: str, timeout_s: float = 3.0, token: str = "") -> None:
        self.base_url = ""
        self.use(base_url)
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.headers = {TOKEN_HEADER: token} if token else {}  # the control routes ask for it
        self._session: aiohttp.ClientSession | None = None

    def use(self, base_url: str, token: str | None = None) -> None:
        """Ask another trace service from now on (the page switched loops), with its
        token when given (an agent's own; the session's headers follow)."""
        self.base_url = base_url.rstrip("/")
        if token is not None:
            self.headers = {TOKEN_HEADER: token} if token else {}
            if self._session is not None:
                self._session.headers.clear()
                self._session.headers.update(self.headers)

    async def __aenter__(self) -> TraceClient:
        self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, **params: Any) -> dict[str, Any]:
        assert self._session is not None, "use TraceClient as an async context manager"
        try:
            async with self._session.request(method, f"{self.base_url}{path}", params=params) as resp:
                if resp.status == 409:
                    raise TraceRefused((await resp.json())["error"])
                if resp.status in (401, 403):
                    raise TraceForbidden(f"trace service at {self.base_url}: {resp.status}")
                resp.raise_for_status()
                answer: dict[str, Any] = await resp.json()
                return answer
        except (TimeoutError, aiohttp.ClientError, ValueError) as err:
            raise TraceUnavailable(f"trace service at {self.base_url}: {err}") from err

    async def poll(self, after: int = -1, window_s: float = 10.0) -> dict[str, Any]:
        return await self._call("GET", "/trace", after=after, window_s=window_s)

    async def watch(self) -> None:
        await self._call("POST", "/trace/watch")

    async def task(self, serial: int) -> dict[str, Any]:
        return await self._call("GET", f"/trace/tasks/{serial}")

    async def cancel(self, serial: int) -> str:
        return str((await self._call("POST", f"/trace/tasks/{serial}/cancel"))["cancelled"])

    async def block(self, ms: float) -> str:
        return str((await self._call("POST", "/trace/block", ms=ms))["task"])

    async def jobs(self, n: int, ms: float) -> int:
        return int((await self._call("POST", "/trace/jobs", n=n, ms=ms))["jobs"])

    async def diagnosis(self, window_s: float) -> dict[str, Any]:
        """An agent's findings (``services.tracing.diagnosis``)."""
        return await self._call("GET", "/trace/diagnosis", window_s=int(window_s))

    async def tree(self) -> dict[str, Any]:
        """An agent's task tree (``services.tracing.family``)."""
        return await self._call("GET", "/trace/tree")

    async def record(self, action: str) -> dict[str, Any]:
        """An agent's recording: "start" (its file) or "stop" (its file and what it wrote)."""
        return await self._call("POST", f"/trace/record/{'stop' if action == 'stop' else 'start'}")

    async def export(self, window_s: float) -> dict[str, Any]:
        return await self._call("GET", "/trace/export", window_s=window_s)
