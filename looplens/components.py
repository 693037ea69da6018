"""What ``looplens run`` supervises, built from ``Settings``: the simulated sensor service
(unless ``LOOPLENS_SENSOR_URL`` names one), the collector (unless
``LOOPLENS_EMBEDDED_COLLECTOR`` is false) and the web server, in that order."""

from __future__ import annotations

import sys

from services.core.metrics import MULTIPROC_ENV, fresh_metrics_dir
from services.core.settings import Settings
from services.live.process import COLLECTOR_COMMAND, collector_ready
from services.ops.supervisor import Component
from services.sensors.process import sensor_command, sensor_ready

GUNICORN_CONFIG = "python:looplens.gunicorn_conf"
WEB_COMMAND = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG]


def components(settings: Settings) -> list[Component]:
    """The components, in start order; their metrics go to one emptied folder."""
    found: list[Component] = []
    shared: dict[str, str] = {MULTIPROC_ENV: str(fresh_metrics_dir(settings.data_dir))}
    if not settings.sensor_url:
        url = settings.effective_sensor_url
        command = sensor_command(settings.sensor_host, settings.sensor_port, settings.sensor_seed,
                                 settings.sensor_stations)  # fmt: skip
        found.append(Component("sensor-sim", command, dict(shared), ready=lambda pid: sensor_ready(url, pid)))
        shared["LOOPLENS_SENSOR_URL"] = url
    if settings.embedded_collector:
        store = settings.store_path
        found.append(
            Component("collector", list(COLLECTOR_COMMAND), dict(shared), ready=lambda pid: collector_ready(store, pid))
        )
    # the web server runs no children of its own here: the supervisor owns them
    web_env = {**shared, "LOOPLENS_EMBEDDED_COLLECTOR": "false", "LOOPLENS_SUPERVISED": "true"}
    found.append(Component("web", list(WEB_COMMAND), web_env, reloads_on_hup=True, ready_timeout_s=60))
    return found
