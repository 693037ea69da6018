"""The loopback request ceiling: how many requests a second the sensor service answers on
this machine, now, at zero latency — the I/O term of the lab's ideal.

It is measured over a few kept-alive connections (``CONNECTIONS``), after a warm-up
round that opens them, as ``ROUNDS`` short rounds. The best round is the ceiling (a rate
no run should beat, so the ideal stays a floor); the slowest and the median show how
steady the machine was. What made the old ceiling swing from 143 to 2,428 req/s between
runs: one burst of 400 new connections. The service listens with aiohttp's backlog of
128; a burst larger than what it accepts in time overflows it, and every handshake
dropped waits for TCP's one-second retransmit (seen as ``ListenOverflows`` and
``TCPSynRetrans`` in ``/proc/net/netstat``). A quarter of that backlog, kept open, never
overflows it, and the rounds measure the service rather than the kernel's retries.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

import aiohttp

from services.lab.workload import FETCH_TIMEOUT_S

CONNECTIONS = 32  # kept open for the whole measurement: well under the service's backlog (128)
ROUNDS = 7
PER_ROUND = 300  # requests per round: long enough to time, short enough to be done in ~0.5 s


@dataclass(frozen=True)
class Ceiling:
    """Requests per second the service answered, round by round."""

    rounds: tuple[float, ...]

    @property
    def rate(self) -> float:
        """The best round: the ceiling."""
        return max(self.rounds, default=0.0)

    @property
    def low(self) -> float:
        return min(self.rounds, default=0.0)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds) if self.rounds else 0.0


async def measure_ceiling(
    sensor_url: str, station: str, rounds: int = ROUNDS, per_round: int = PER_ROUND, connections: int = CONNECTIONS
) -> Ceiling:
    """``rounds`` timed rounds of ``per_round`` requests at zero latency, after an untimed
    one, through at most ``connections`` kept-alive connections."""
    url = f"{sensor_url}/stations/{station}?latency_ms=0"
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=connections)) as session:

        async def one() -> None:
            async with session.get(url) as resp:
                resp.raise_for_status()
                await resp.read()

        async def timed_round() -> float:
            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(per_round)))
            return per_round / (time.perf_counter() - start)

        await timed_round()  # the warm-up: opens the connections
        return Ceiling(tuple([await timed_round() for _ in range(rounds)]))


def request_ceiling(sensor_url: str, station: str) -> Ceiling:
    """The ceiling, measured now (see the module docstring); about half a second."""
    return asyncio.run(measure_ceiling(sensor_url, station))
