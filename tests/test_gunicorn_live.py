"""The Live page under the production server with 4 workers: one collector, several
browsers that must all show the same readings, and a restart that loses nothing."""

from __future__ import annotations

import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from scripts.chrome import headless_chrome
from scripts.server import GUNICORN, free_port, gunicorn_env
from services.live.store import ReadingStore
from services.live.view import x_value
from tests.browser.helpers import SHOWN, line_points, wait_until
from tests.helpers import ROOT, get_or_none

pytestmark = pytest.mark.browser

BROWSERS = 2  # whichever of the four workers each lands on, both show the same readings
RESUME_S = 8  # the bench's figure (bench/tabs.py) is under 6 s; this leaves room for a busy VM


@contextmanager
def serving(data_dir: Path, workers: int = 4):
    port, sensor_port = free_port(), free_port()
    env = gunicorn_env(port, sensor_port, workers, str(data_dir))
    log = data_dir.parent / "gunicorn.log"  # kept for a failure's message
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(lambda: get_or_none(f"{url}/healthz") == 200, 40, "gunicorn")
        except AssertionError as err:
            raise AssertionError(f"{err}; its log ends:\n{log.read_text(errors='replace')[-3000:]}") from None
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def collectors(proc: subprocess.Popen) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(proc.pid).children(recursive=True)
        if "services.live.collector" in " ".join(p.cmdline())
    ]


def beijing_points(driver) -> list[str]:
    return line_points(driver.execute_script(SHOWN))


def test_four_workers_one_collector_same_readings_in_every_browser(tmp_path):
    data_dir = tmp_path / "data"
    with serving(data_dir) as (url, proc):
        assert len(collectors(proc)) == 1  # however many workers
        drivers = [headless_chrome(1280, 900) for _ in range(BROWSERS)]
        try:
            for driver in drivers:
                driver.get(url)
                wait_until(lambda d=driver: d.find_elements("css selector", "a[href='/live']"), 15, "home")
                driver.find_element("css selector", "a[href='/live']").click()
            for driver in drivers:
                wait_until(lambda d=driver: len(beijing_points(d)) >= 4, 20, "points in every browser")
            time.sleep(2)
            for driver in drivers:
                driver.find_element("id", "live-pause").click()
            time.sleep(1)
            shown = [beijing_points(d) for d in drivers]
        finally:
            for driver in drivers:
                driver.quit()
        with ReadingStore(data_dir / "readings.sqlite3") as store:
            stored = [x_value(r.ts) for r in store.since(0, ["beijing"])]
            ids_before = {r.id for r in store.since(0, ["beijing", "lhasa"])}
    common_end = min(points[-1] for points in shown)
    for points in shown:
        assert len(points) == len(set(points))  # no duplicates
        assert points == [x for x in stored if x <= points[-1]]  # no gaps
        assert [x for x in points if x <= common_end] == [x for x in shown[0] if x <= common_end]
    # A restart of the whole app keeps every stored reading and adds new ones.
    with serving(data_dir) as (url, proc):
        time.sleep(2)
        with ReadingStore(data_dir / "readings.sqlite3") as store:
            ids_after = {r.id for r in store.since(0, ["beijing", "lhasa"])}
    assert ids_before < ids_after


def workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """The gunicorn workers: the master's live children that are not the embedded services."""
    found = []
    for p in psutil.Process(proc.pid).children():
        try:
            command = " ".join(p.cmdline())
        except psutil.Error:  # gone, or a killed worker not yet reaped
            continue
        if not any(name in command for name in ("services.live.collector", "services.sensor")):
            found.append(p)
    return found


def test_every_tab_of_one_browser_resumes_after_worker_loss_without_reload_gap_or_duplicate(tmp_path):
    """Dash keeps one WebSocket for every tab of a browser (a SharedWorker): each tab's
    watchdog restarts its own stream, hidden tabs too, with no reload, no gap and no
    duplicate, after its worker is killed and then after the master is told to reload."""
    data_dir = tmp_path / "data"
    with serving(data_dir, workers=2) as (url, proc):
        driver = headless_chrome(1280, 900)
        try:
            tabs = []
            for i in range(4):
                if i:
                    driver.switch_to.new_window("tab")
                driver.get(f"{url}/live")
                wait_until(lambda: len(beijing_points(driver)) >= 2, 20, "points in a new tab")
                driver.execute_script("window.notReloaded = true")
                tabs.append(driver.current_window_handle)
            before = {}
            for fault in ("kill the serving worker", "HUP the master"):
                last = {}
                for tab in tabs:
                    driver.switch_to.window(tab)
                    last[tab] = beijing_points(driver)
                    before.setdefault(tab, last[tab])
                lose_a_worker(proc, fault)
                time.sleep(RESUME_S)  # looking at the last tab only: the others stay hidden meanwhile
                frozen = []
                for tab in tabs:
                    driver.switch_to.window(tab)
                    if beijing_points(driver)[-1] <= last[tab][-1]:
                        frozen.append(tab)
                assert not frozen, f"{len(frozen)} of 4 tabs frozen {RESUME_S} s after: {fault}"
            shown = {}
            for tab in tabs:
                driver.switch_to.window(tab)
                assert driver.execute_script("return window.notReloaded === true"), "a tab was reloaded"
                shown[tab] = beijing_points(driver)
        finally:
            driver.quit()
        with ReadingStore(data_dir / "readings.sqlite3") as store:
            stored = [x_value(r.ts) for r in store.since(0, ["beijing"])]
    for tab, points in shown.items():
        assert len(points) == len(set(points))  # no duplicate point
        assert points == [x for x in stored if points[0] <= x <= points[-1]]  # no gap
        assert points[: len(before[tab])] == before[tab]  # what it showed before, it still shows


def lose_a_worker(proc: subprocess.Popen, fault: str) -> None:
    if fault == "HUP the master":  # every worker replaced
        proc.send_signal(signal.SIGHUP)
        return
    busy = [w for w in workers(proc) if any(c.status == "ESTABLISHED" for c in w.net_connections())]
    for worker in busy or workers(proc)[:1]:
        worker.kill()
