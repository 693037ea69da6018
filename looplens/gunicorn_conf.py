"""gunicorn settings for looplens: the web server of `looplens run` and `looplens web`.

Environment: LOOPLENS_BIND (default 0.0.0.0:8050), LOOPLENS_WORKERS (default 2), and
LOOPLENS_SENSOR_URL — when empty, the master starts the embedded sensor service once,
before forking workers, and every worker inherits its address. The master also starts
the single collector process unless LOOPLENS_EMBEDDED_COLLECTOR is false. Under
`looplens run` the supervisor owns both, and the master starts neither. gunicorn's
control socket lives in the data folder, so two instances on one machine never share it.
"""

import asyncio
import logging
import os

from services.core.children import ChildProcess, die_with_parent
from services.core.metrics import MULTIPROC_ENV, fresh_metrics_dir
from services.core.settings import Settings
from services.live.process import CollectorProcess
from services.sensors.process import SensorServiceProcess

bind = os.environ.get("LOOPLENS_BIND", "0.0.0.0:8050")
workers = int(os.environ.get("LOOPLENS_WORKERS", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOOPLENS_LOG_LEVEL", "info")
wsgi_app = "app:server"
_data_dir = Settings().data_dir.resolve()
_data_dir.mkdir(parents=True, exist_ok=True)
control_socket = str(_data_dir / "gunicorn.ctl")
if MULTIPROC_ENV not in os.environ:  # `looplens web` alone: this master's workers share one folder
    os.environ[MULTIPROC_ENV] = str(fresh_metrics_dir(_data_dir))

_embedded: list[ChildProcess] = []


def on_starting(server):
    """Start the embedded children once, before any worker exists: the sensor service
    (unless LOOPLENS_SENSOR_URL names one) and the one collector (unless
    LOOPLENS_EMBEDDED_COLLECTOR=false, when another host runs it)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    settings = Settings()
    try:
        if settings.sensor_url:
            server.log.info("using sensor service at %s", settings.sensor_url)
        else:
            service = SensorServiceProcess(
                settings.sensor_host, settings.sensor_port, settings.sensor_seed, settings.sensor_stations
            )
            _embedded.append(service)
            service.start()
            os.environ["LOOPLENS_SENSOR_URL"] = service.url
            server.log.info("embedded sensor service at %s", service.url)
        if settings.embedded_collector:
            collector = CollectorProcess(settings.store_path)
            _embedded.append(collector)
            collector.start()  # inherits LOOPLENS_SENSOR_URL set above
            server.log.info("embedded collector pid %s → %s", collector.pid, settings.store_path)
    except RuntimeError:
        on_exit(server)
        raise


async def _asgi_get(asgi_app, path):
    """One GET through the ASGI app in-process; returns the status code."""
    sent = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"warm-up")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await asgi_app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def post_worker_init(worker):
    """Serve a few requests to this worker's app in-process before it takes real traffic.

    A cold worker registers Dash's component libraries and page routes on its first
    request; concurrent first requests could see them half-registered.
    """
    from app import server as asgi_app

    async def warm():
        return {path: await _asgi_get(asgi_app, path) for path in ("/", "/_dash-layout", "/_dash-dependencies")}

    statuses = asyncio.run(warm())  # the worker's own loop does not exist yet
    bad = {p: s for p, s in statuses.items() if s != 200}
    if bad:
        worker.log.error("warm-up failed: %s", bad)
    else:
        worker.log.info("worker %s warmed: %s", worker.pid, statuses)


def on_exit(server):
    for child in reversed(_embedded):  # the collector first, then what it reads from
        child.close()
    _embedded.clear()


def child_exit(server, worker):
    """A worker's live gauges (open streams) stop counting when it exits."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """A worker dies with its master (a killed master's workers would keep its port)."""
    die_with_parent(server.pid)
