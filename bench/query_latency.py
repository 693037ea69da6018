"""How long a query takes as a person sees it, against what the fetch itself costs.

Starts the production server (gunicorn.conf.py, 2 workers, embedded sensor service) on
free loopback ports, then in one run measures:
  raw   — the async client fetching a reading directly (no Dash, no worker process);
  page  — headless Chromium: the Submit button's click on /query → the sentence visible in
          the DOM (the name typed before the clock starts).
Prints p50/p95 of both and their ratio (target: page ≤ 1.3× raw, the fetch still in a
worker process: opening the page starts one, which stays for the next queries). The sensor
answers in 100 ms without jitter, so that the ratio is the page's cost and not the draw of
two random samples; the page's first query is shown apart (its worker may still be starting).
Usage: python bench/query_latency.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from scripts.chrome import headless_chrome  # noqa: E402
from scripts.server import free_port, gunicorn_env, gunicorn_served  # noqa: E402
from services.sensors.client import SensorClient  # noqa: E402

STATIONS = ["beijing", "shanghai", "guangzhou", "shenzhen", "chengdu", "hangzhou"]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def raw(sensor_url: str, n: int) -> list[float]:
    out = []
    async with SensorClient(sensor_url) as client:
        for i in range(n):
            out.append((await client.current(STATIONS[i % len(STATIONS)])).latency_ms)
    return out


def page(url: str, n: int) -> list[float]:
    driver = headless_chrome()
    out = []
    try:
        driver.get(f"{url}/query")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "query-input"))
        for i in range(n):
            station = STATIONS[i % len(STATIONS)]
            box = driver.find_element(By.ID, "query-input")
            box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
            box.send_keys(station)
            time.sleep(0.3)  # the typed name has reached Dash
            # Submitting clears the answer; the next sentence is the new one. The click is the
            # page's own, in the script that starts the clock: WebDriver's click travels through
            # chromedriver first, which no person's click does (it added 50–90 ms here).
            driver.execute_script(
                "const out = document.getElementById('query-output');"
                "let cleared = !out.querySelector('.sentence'); window.__t1 = null; window.__t0 = performance.now();"
                "new MutationObserver((m, o) => { if (!out.querySelector('.sentence')) { cleared = true; }"
                " else if (cleared) { window.__t1 = performance.now(); o.disconnect(); } })"
                ".observe(out, {childList: true, subtree: true, characterData: true});"
                "document.getElementById('query-submit').click();"
            )
            WebDriverWait(driver, 15, 0.01).until(lambda d: d.execute_script("return window.__t1"))
            out.append(driver.execute_script("return window.__t1 - window.__t0"))
    finally:
        driver.quit()
    return out


def main(n: int) -> None:
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, 2, tempfile.mkdtemp(), LOOPLENS_LOG_LEVEL="warning",
                       LOOPLENS_SENSOR_JITTER_MS="0")  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with gunicorn_served(env, f"{url}/healthz", timeout_s=30):
        raw_ms = asyncio.run(raw(f"http://127.0.0.1:{sensor_port}", n))
        first, *page_ms = page(url, n + 1)
    print(f"queries: {n} (sensor latency 100 ms, 2 gunicorn workers; the result is pushed, not polled)")
    print(f"page's first query {first:7.1f} ms (the page opened just before: its worker may be starting)")
    print(f"raw client fetch   p50 {pct(raw_ms, 50):7.1f} ms   p95 {pct(raw_ms, 95):7.1f} ms")
    print(f"page submit→shown  p50 {pct(page_ms, 50):7.1f} ms   p95 {pct(page_ms, 95):7.1f} ms")
    print(f"ratio page/raw     p50 {pct(page_ms, 50) / pct(raw_ms, 50):5.2f}×  (target ≤ 1.30×)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
