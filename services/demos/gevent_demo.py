"""Seed demo: ten half-second tasks, one after another and then as greenlets
(``gevent.spawn`` + ``joinall``). Its own process, so gevent never loads into the app.
Prints JSON lines: log lines and timeline spans. Argument: the speed factor.
"""

import json
import os
import sys
import time

import gevent

ORIGIN = time.perf_counter()


def ms() -> float:
    return round((time.perf_counter() - ORIGIN) * 1000, 2)


def emit(**event: object) -> None:
    sys.stdout.write(json.dumps(event) + "\n")


def task(n: int, lane: str, wait_s: float) -> None:
    start = ms()
    gevent.sleep(wait_s)  # a cooperative wait: other greenlets run meanwhile
    emit(kind="span", lane=lane, label=f"task {n}", start_ms=start, end_ms=ms())


def main() -> None:
    wait_s = 0.5 * float(sys.argv[1])
    pid = os.getpid()
    start = ms()
    for n in range(10):
        task(n, "sequential", wait_s)
    emit(kind="say", key="sequential", pid=pid, params={"seconds": f"{(ms() - start) / 1000:.2f}"})
    start = ms()
    gevent.joinall([gevent.spawn(task, n, f"greenlet {n}", wait_s) for n in range(10)])
    emit(kind="say", key="greenlets", pid=pid, params={"seconds": f"{(ms() - start) / 1000:.2f}"})


if __name__ == "__main__":
    main()
