"""A real Mosquitto broker for tests and benches: its own config in a temporary folder,
a free loopback port, optionally a password; stop and start again on the same port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from scripts.server import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """``with Broker() as broker: broker.port``; ``broker.restart()`` drops every client."""

    def __init__(self, user: str = "", password: str = "", port: int = 0) -> None:
        self.port = port or free_port()
        self.user, self.password = user, password
        self._dir = Path(tempfile.mkdtemp(prefix="looplens-mqtt-"))
        self._process: subprocess.Popen[bytes] | None = None
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "max_queued_messages 100000"]
        if user:
            passwords = self._dir / "passwords"
            subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), user, password], check=True)
            # Started as root, mosquitto reads its files as the "mosquitto" user.
            self._dir.chmod(0o755)
            passwords.chmod(0o644)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        (self._dir / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        log = open(self._dir / "mosquitto.log", "ab")  # noqa: SIM115 - the broker holds it
        self._process = subprocess.Popen([MOSQUITTO, "-c", str(self._dir / "mosquitto.conf")], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {(self._dir / 'mosquitto.log').read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def restart(self, down_s: float = 0.5) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
