"""Which trace service a Trace page's loop is: the app's own (the collector's, the sensor
service's) or an agent in a traced program, listed in the settings
(``LOOPLENS_TRACE_AGENTS``) or added on the page by its address and token.

A page names a loop by a short word: ``collector``, ``sensor``, ``agent:s0`` (the
settings' first agent) or ``agent:<key>`` (one added on a page). An added agent's address
and token live in a store every web worker shares (``AgentBook``, under the data folder),
under a random key; the browser keeps only the key and the address, so the token is never
sent back to a page, and it is never logged. The book keeps at most ``KEPT`` agents (the
oldest added goes first, counted in ``dropped``) for ``KEEP_S``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import diskcache

from services.core.errors import TraceRefused
from services.core.settings import Settings

OWN_LOOPS = ("collector", "sensor")
AGENT = "agent:"
AGENT_LOOP = re.compile(r"agent:[A-Za-z0-9_-]{1,40}")
KEPT = 500
KEEP_S = 30 * 86400
MAX_URL, MAX_TOKEN = 200, 200
BOOK_BYTES = 2 * 2**20


def is_agent(loop: str) -> bool:
    return loop.startswith(AGENT)


def known_loop(loop: object) -> str:
    """``loop`` if it can name a loop (own, or an agent's key), else the collector's."""
    if isinstance(loop, str) and (loop in OWN_LOOPS or AGENT_LOOP.fullmatch(loop)):
        return loop
    return OWN_LOOPS[0]


def address(url: str) -> str:
    """host:port of an agent's URL: how the page names it."""
    parts = urlsplit(url)
    return parts.netloc or url


def checked_url(text: object) -> str:
    """An agent's base URL (``http://host:port``; host:port alone is taken as HTTP, a
    trailing ``/trace`` is dropped), or
    ``TraceRefused("trace.err.agent_url")``."""
    url = str(text or "").strip().rstrip("/")
    url = url if "://" in url or not url else f"http://{url}"  # host:port alone is plain HTTP
    url = url[: -len("/trace")] if url.endswith("/trace") else url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TraceRefused("trace.err.agent_url") from None
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise TraceRefused("trace.err.agent_url")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise TraceRefused("trace.err.agent_url")
    return url


def checked_token(text: object) -> str:
    token = str(text or "").strip()
    if not token or len(token) > MAX_TOKEN or any(c.isspace() for c in token):
        raise TraceRefused("trace.err.agent_token_form")
    return token


@dataclass(frozen=True)
class Endpoint:
    """Where a loop's trace is served, and the token its routes ask for."""

    url: str
    token: str
    agent: bool
    label: str = ""  # an agent's name on the page (its host:port, or the settings' name)


class AgentBook:
    """The agents added on pages: key → (url, token), shared by the web workers."""

    def __init__(self, folder: Path) -> None:
        self._cache = diskcache.Cache(str(folder), size_limit=BOOK_BYTES, eviction_policy="least-recently-stored")

    def add(self, url: str, token: str) -> str:
        """Keep an agent; its new key."""
        self._cache.expire()
        while len(self._cache) >= KEPT + 1:  # + the "dropped" counter
            oldest, value = self._cache.peekitem(last=False)
            self._cache.delete(oldest)
            if oldest == "dropped":  # the counter is no agent: kept, as the newest item
                self._cache.set("dropped", value)
                continue
            self._cache.incr("dropped", default=0)
        key = "p" + secrets.token_urlsafe(12)  # never "s<n>", a settings' agent
        self._cache.set(f"a:{key}", (url, token), expire=KEEP_S)
        self._cache.add("dropped", 0)
        return key

    def get(self, key: str) -> tuple[str, str] | None:
        found = self._cache.get(f"a:{key}")
        return (str(found[0]), str(found[1])) if isinstance(found, tuple) else None

    def statistics(self) -> dict[str, int]:
        return {"size": len(self._cache) - ("dropped" in self._cache), "dropped": int(self._cache.get("dropped", 0))}

    def close(self) -> None:
        self._cache.close()


def book_of(settings: Settings) -> AgentBook:
    return AgentBook(settings.data_dir / "trace-agents")


def endpoint(settings: Settings, book: AgentBook | None, loop: str) -> Endpoint:
    """Where ``loop`` is served; ``TraceRefused("trace.err.agent_unknown")`` for an agent
    that is no longer known (the settings changed, or the book forgot it)."""
    operator = settings.operator_token.get_secret_value()
    if not is_agent(loop):
        return Endpoint(settings.trace_url_of(loop), operator, agent=False)
    key = loop[len(AGENT) :]
    if key.startswith("s") and key[1:].isdigit():
        n = int(key[1:])
        if n < len(settings.trace_agents):
            agent = settings.trace_agents[n]
            return Endpoint(agent.url, agent.token.get_secret_value(), True, agent.name or address(agent.url))
        raise TraceRefused("trace.err.agent_unknown")
    found = book.get(key) if book is not None else None
    if found is None:
        raise TraceRefused("trace.err.agent_unknown")
    return Endpoint(found[0], found[1], True, address(found[0]))


def settings_loops(settings: Settings) -> list[tuple[str, str]]:
    """(loop, label) of each agent the settings list."""
    return [(f"{AGENT}s{n}", a.name or address(a.url)) for n, a in enumerate(settings.trace_agents)]
