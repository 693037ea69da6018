"""The one Settings object: every knob, read from ``LOOPLENS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TraceAgent(BaseModel):
    """An agent in a traced program (``looplens trace app.py``) the Trace page lists:
    where it serves and the token it printed at start (never logged, never sent back)."""

    model_config = {"frozen": True}

    url: str
    token: SecretStr
    name: str = ""  # how the loop switch names it (else its host:port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOOPLENS_", frozen=True)

    debug: bool = False
    data_dir: Path = Path("data")

    # Where the sensor service answers. Empty: the launcher starts one on
    # sensor_host:sensor_port (the embedded default) and sets this for its workers.
    sensor_url: str = ""
    sensor_host: str = "127.0.0.1"
    sensor_port: int = Field(8051, ge=0, le=65535)
    sensor_seed: int = 7
    sensor_stations: int = Field(16, ge=1, le=2000)  # named stations first, then sim-NNNN
    sensor_latency_ms: float = Field(100.0, ge=0)
    sensor_jitter_ms: float = Field(30.0, ge=0)
    sensor_error_rate: float = Field(0.0, ge=0, le=1)
    sensor_hang_rate: float = Field(0.0, ge=0, le=1)
    sensor_malformed_rate: float = Field(0.0, ge=0, le=1)

    # The async client used by query jobs.
    client_timeout_s: float = Field(2.0, gt=0)
    client_retries: int = Field(2, ge=0, le=10)  # extra attempts after the first
    client_backoff_s: float = Field(0.2, ge=0)

    # How often the page asks whether a background job has finished.
    job_poll_ms: int = Field(200, ge=50)

    # The collector: one process polls every station each period into the reading store.
    embedded_collector: bool = True  # the gunicorn master starts it; false when it runs elsewhere
    collector_period_s: float = Field(1.0, ge=0.05, le=3600)
    collector_concurrency: int = Field(64, ge=1, le=1000)  # requests in flight at once
    collector_timeout_s: float = Field(2.0, gt=0)
    collector_max_backoff_s: float = Field(30.0, gt=0)  # a failing station is retried at least this often
    retention_hours: float = Field(48.0, gt=0)  # readings older than this are deleted

    # The collector serves a trace of its own event loop here (0: no trace) to the Trace
    # page, and the sensor service under its own URL; a tracer attaches while a page
    # watches and detaches after trace_idle_s.
    trace_host: str = "127.0.0.1"
    trace_port: int = Field(8052, ge=0, le=65535)
    trace_idle_s: float = Field(30.0, gt=0)
    # Agents the Trace page lists beside the app's own loops, as JSON:
    # LOOPLENS_TRACE_AGENTS='[{"url": "http://127.0.0.1:40171", "token": "…", "name": "shop"}]'
    trace_agents: tuple[TraceAgent, ...] = Field((), max_length=16)

    # Who may change the running system from a page or a route (services.ops.guard):
    # nobody in read-only mode; with a token, whoever gives it; else clients on this machine.
    read_only: bool = False
    operator_token: SecretStr = SecretStr("")  # never logged, never sent back
    action_limit_per_min: int = Field(20, ge=1, le=10_000)  # actions of a kind per client

    # Where readings come from: a TOML file the Sources page edits (empty: data_dir/sources.toml).
    sources_file: Path | None = None

    # The Live page.
    live_default_stations: tuple[str, ...] = ("beijing", "shanghai", "guangzhou", "harbin", "lhasa")
    live_offline_periods: int = Field(3, ge=1)  # no reading for this many periods: offline
    live_rollups: bool = True  # long ranges read the statistics (false: the raw rows, as a bench's baseline)

    @property
    def effective_sensor_url(self) -> str:
        return self.sensor_url or f"http://{self.sensor_host}:{self.sensor_port}"

    @property
    def trace_url(self) -> str:
        return f"http://{self.trace_host}:{self.trace_port}"

    def trace_url_of(self, loop: str) -> str:
        """Where the trace of that loop ("collector" or "sensor") is served."""
        return self.effective_sensor_url if loop == "sensor" else self.trace_url

    @property
    def sources_path(self) -> Path:
        """Which sources the collector runs (services.sources.config); none: the simulator."""
        return self.sources_file or self.data_dir / "sources.toml"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "readings.sqlite3"

    @property
    def lab_lock_path(self) -> Path:
        """Held by the lab run under way (one at a time per server); it holds its pid."""
        return self.data_dir / "lab.lock"

    @property
    def lab_dir(self) -> Path:
        """Where traced lab runs leave their loop's Perfetto files."""
        return self.data_dir / "lab"
