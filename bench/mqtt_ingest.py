"""MQTT ingest, measured: SENSORS Zigbee2MQTT sensors publishing one message a second each
through a real Mosquitto broker for SECONDS, into the real collector process.

Prints, for the messages published in the measured window:
- publish → stored latency p50 / p99 (the row's stored_ms less the moment it was published);
- messages lost (published, never stored) and duplicated (delivered twice: the store
  keeps one, the collector counts the repeat);
- collector CPU per 1,000 messages, and in the same run the CPU of a bare aiomqtt
  subscriber that only parses the same messages (json.loads), and the ratio of the two.

Each sensor publishes at its own phase of the second, with Zigbee2MQTT's ``last_seen``
(epoch ms) as the reading's time, so (sensor, second) names one message.

Targets (issue 16): 0 lost, p99 ≤ 1 s, collector CPU ≤ 1.5× the bare subscriber.

Usage: python bench/mqtt_ingest.py [SECONDS, default 60] [SENSORS, default 2000]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.sources import config as files  # noqa: E402
from tests.broker import Broker  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WARMUP_S = 5.0
BATCH = 20  # messages published per slot


async def _publish(port: int, sensors: int, seconds: float, t0: float, out: Path) -> None:
    """Every sensor once a second at its phase; records (sensor, second) → publish ms."""
    published: dict[str, float] = {}
    async with aiomqtt.Client("127.0.0.1", port, max_queued_outgoing_messages=100_000) as client:
        slots = sensors // BATCH
        for second in range(int(seconds)):
            for slot in range(slots):
                due = t0 + second + slot / slots
                await asyncio.sleep(max(0.0, due - time.time()))
                for i in range(slot * BATCH, (slot + 1) * BATCH):
                    scheduled_ms = int((t0 + second) * 1000) + i * 1000 // sensors
                    payload = {"temperature": 20 + i % 10, "humidity": 40 + i % 20, "battery": 90,
                               "linkquality": 120, "last_seen": scheduled_ms}  # fmt: skip
                    await client.publish(f"zigbee2mqtt/bench/{i:04d}", json.dumps(payload), qos=0)
                    published[f"{i:04d}|{scheduled_ms // 1000}"] = time.time() * 1000
    out.write_text(json.dumps(published))


def publisher(port: int, sensors: int, seconds: float, t0: float, out: str) -> None:
    asyncio.run(_publish(port, sensors, seconds, t0, Path(out)))


async def _bare(port: int, seconds: float, out: Path) -> None:
    """The floor: subscribe, parse each message, nothing else."""
    parsed = 0
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.subscribe("zigbee2mqtt/#")
        out.write_text("ready")
        deadline = time.time() + seconds
        async with asyncio.timeout(seconds + 5):
            async for message in client.messages:
                payload = message.payload
                if isinstance(payload, bytes | str):
                    json.loads(payload)
                    parsed += 1
                if time.time() > deadline:
                    break
    out.write_text(str(parsed))


def bare(port: int, seconds: float, out: str) -> None:
    asyncio.run(_bare(port, seconds, Path(out)))


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def main(seconds: float, sensors: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="looplens-ingest-"))
    data = work / "data"
    with Broker() as broker:
        files.save(data / "sources.toml", [files.check({"name": "bench", "kind": "mqtt", "port": str(broker.port)})])
        env = os.environ | {"LOOPLENS_DATA_DIR": str(data), "LOOPLENS_TRACE_PORT": "0"}
        collector = subprocess.Popen([sys.executable, "-m", "services.live.collector"], cwd=ROOT, env=env,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
        ctx = multiprocessing.get_context("spawn")
        total = WARMUP_S + seconds
        floor = ctx.Process(target=bare, args=(broker.port, total + 2, str(work / "bare")))
        floor.start()
        while not (work / "bare").exists() or not (data / "readings.sqlite3").exists():
            time.sleep(0.1)
        time.sleep(2)  # the collector subscribed
        t0 = time.time() + 1
        pub = ctx.Process(target=publisher, args=(broker.port, sensors, total, t0, str(work / "published")))
        pub.start()
        time.sleep(max(0.0, t0 + WARMUP_S - time.time()))
        procs = {"collector": psutil.Process(collector.pid), "bare": psutil.Process(floor.pid)}
        before = {name: cpu(p) for name, p in procs.items()}
        time.sleep(seconds)
        spent = {name: cpu(p) - before[name] for name, p in procs.items()}
        pub.join()
        time.sleep(3)  # the last messages: the hold, the flush
        floor.join()
        collector.terminate()
        collector.wait(10)
        report(work, data, sensors, t0, seconds, spent)


def report(work: Path, data: Path, sensors: int, t0: float, seconds: float, spent: dict[str, float]) -> None:
    published: dict[str, float] = json.loads((work / "published").read_text())
    window = {k: v for k, v in published.items() if t0 + WARMUP_S <= int(k.split("|")[1]) < t0 + WARMUP_S + seconds}
    db = sqlite3.connect(data / "readings.sqlite3")
    rows = {f"{station.rsplit('/', 1)[1]}|{ts}": ms for station, ts, ms in
            db.execute("SELECT station, ts, stored_ms FROM readings")}  # fmt: skip
    beat = json.loads(db.execute("SELECT value FROM meta WHERE key = 'collector'").fetchone()[0])
    latencies = np.array([rows[k] - v for k, v in window.items() if k in rows])
    lost = sum(1 for k in window if k not in rows)
    messages = len(window)
    per_k = {name: s / (messages / 1000) for name, s in spent.items()}
    print(f"sensors {sensors}, 1 message/s each, measured {seconds:g} s after {WARMUP_S:g} s warm-up")
    print(f"messages published in the window: {messages} ({messages / seconds:.0f}/s)")
    p50, p99 = np.percentile(latencies, 50), np.percentile(latencies, 99)
    print(f"publish → stored: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {latencies.max():.0f} ms (target p99 ≤ 1000 ms)")
    print(f"lost: {lost} (target 0); duplicated deliveries: {beat.get('repeats', 0)} (stored once each)")
    print(f"CPU per 1,000 messages: collector {per_k['collector'] * 1000:.1f} ms, "
          f"bare subscriber {per_k['bare'] * 1000:.1f} ms; "
          f"ratio {per_k['collector'] / per_k['bare']:.2f}× (target ≤ 1.5×)")  # fmt: skip
    print(f"collector CPU: {spent['collector'] / seconds * 100:.0f} % of a core; "
          f"bare: {spent['bare'] / seconds * 100:.0f} %")  # fmt: skip


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0, int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
