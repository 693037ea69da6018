"""No remote off-switch: who may change the running system, how often, how much at once.

An *action* changes the running system: block a loop, cancel a task, run pool jobs, start
a lab run or a demo. ``Guard.check(action, client)`` lets one through or raises
``ActionRefused`` with the reason's message key:

- read-only mode (``LOOPLENS_READ_ONLY``, the image's default) refuses every action;
- with an operator token set (``LOOPLENS_OPERATOR_TOKEN``) an action needs it;
- with none set, only a client on this machine may act, and not through a proxy (a
  request that carries forwarding headers came from elsewhere);
- each client may start ``action_limit_per_min`` actions of a kind a minute (counted in
  a store every web worker shares).

``job_slot(kind)`` caps the background jobs of a kind running at once: a slot is a lock
file held by the job's process, so a job that dies frees its slot with it.

The token is compared in constant time and never logged or sent back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import ipaddress
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import diskcache

from services.core.errors import ActionRefused
from services.core.settings import Settings

JOB_SLOTS = {"query": 8, "demos": 2}  # background jobs of a kind at once (the lab: one, its own lock)
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
RATE_STORE_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Client:
    """Who asks: the peer's address, and whether the request came through a proxy."""

    address: str
    forwarded: bool = False

    @classmethod
    def of(cls, address: str | None, headers: Mapping[str, str]) -> Client:
        lowered = {name.lower() for name in headers}
        return cls(address or "", any(name in lowered for name in FORWARDING_HEADERS))

    @property
    def local(self) -> bool:
        try:
            return ipaddress.ip_address(self.address).is_loopback and not self.forwarded
        except ValueError:
            return False


def mode_of(settings: Settings) -> str:
    """How actions are let through: "read_only" (never), "token" or "local" (this machine)."""
    if settings.read_only:
        return "read_only"
    return "token" if settings.operator_token.get_secret_value() else "local"


class Guard:
    """One per web process; its counters live in a store all workers share."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._counts = diskcache.Cache(str(settings.data_dir / "guard"), size_limit=RATE_STORE_BYTES)

    @property
    def mode(self) -> str:
        return mode_of(self.settings)

    def allowed(self, client: Client, token: str | None) -> str | None:
        """None if this client may act at all, else the reason's key (no counting)."""
        mode = self.mode
        if mode == "read_only":
            return "guard.read_only"
        if mode == "token":
            expected = self.settings.operator_token.get_secret_value().encode()
            return None if token and hmac.compare_digest(token.encode(), expected) else "guard.token"
        return None if client.local else "guard.remote"

    def check(self, action: str, client: Client, token: str | None = None) -> None:
        """Let one ``action`` through for ``client``, or raise ``ActionRefused``."""
        reason = self.allowed(client, token)
        if reason is not None:
            raise ActionRefused(reason)
        window = int(time.time() // 60)
        key = f"{action}|{client.address}|{window}"
        self._counts.add(key, 0, expire=120)
        if self._counts.incr(key) > self.settings.action_limit_per_min:
            raise ActionRefused("guard.rate", limit=self.settings.action_limit_per_min)

    def close(self) -> None:
        self._counts.close()


@contextlib.contextmanager
def job_slot(folder: Path, kind: str, slots: int | None = None) -> Iterator[bool]:
    """True while this process holds one of the ``kind``'s slots, False if all are taken."""
    count = slots if slots is not None else JOB_SLOTS[kind]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        with open(folder / f"{kind}-{i}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield True
            return
    yield False
