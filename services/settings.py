"""The one Settings object: every knob, read from ``LOOPLENS_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

VERSION = "0.1.0"


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

    @property
    def effective_sensor_url(self) -> str:
        return self.sensor_url or f"http://{self.sensor_host}:{self.sensor_port}"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"
