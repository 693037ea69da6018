"""Build the looplens image the way a person with podman or Docker would, and the way the
tests do: `python scripts/image.py [TAG]` (what `make image` runs).

With Docker, or a podman that pulls from a registry, this is `build -t TAG .`. Where there
is no registry (this project's test machines), the base `debian:bookworm-slim` is made
locally once — `debootstrap --variant=minbase bookworm`, imported into podman — and kept in
podman's image store for the next build. podman runs here with Debian's `runc` and the
`cgroupfs` manager (`crun` fails on these machines: RLIMIT_NOFILE and hybrid cgroups), from
a `containers.conf` of our own (`CONTAINERS_CONF`). When the machine's pip needs its own CA
bundle (`PIP_CERT`), the build gets it as a read-only volume; the Dockerfile stays as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "debian:bookworm-slim"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "looplens-image"
CONTAINERS_CONF = """[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def tool() -> str | None:
    """podman when there is one (the tests' runtime), else docker."""
    return shutil.which("podman") or shutil.which("docker")


def env() -> dict[str, str]:
    """The environment podman needs on these machines (docker ignores it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = CACHE / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    return os.environ | {"CONTAINERS_CONF": str(conf)}


def run(
    *args: str, check: bool = True, capture: bool = False, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    runtime = tool()
    assert runtime, "no podman or docker on this machine"
    return subprocess.run([runtime, *args], env=env(), check=check, text=True, capture_output=capture, timeout=timeout)


def has_image(name: str) -> bool:
    return (
        run("image", "exists", name, check=False).returncode == 0
        if "podman" in (tool() or "")
        else (run("image", "inspect", name, check=False, capture=True).returncode == 0)
    )


def ensure_base() -> float:
    """Make the base image when it is missing and cannot be pulled; seconds spent (0: there)."""
    if has_image(BASE):
        return 0.0
    started = time.monotonic()
    if run("pull", "-q", f"docker.io/library/{BASE}", check=False, capture=True).returncode == 0:
        return time.monotonic() - started
    root = Path(tempfile.mkdtemp(prefix="looplens-base-"))
    try:
        subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        runtime = tool()
        assert runtime
        subprocess.run([runtime, "import", "-", BASE], stdin=tar.stdout, env=env(), check=True, capture_output=True)
        tar.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return time.monotonic() - started


def build_args() -> list[str]:
    """Volumes that let pip inside the build trust this machine's CA bundle, when it has one."""
    cert = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if not cert or not Path(cert).is_file():
        return []
    CACHE.mkdir(parents=True, exist_ok=True)
    pip_conf = CACHE / "pip.conf"
    pip_conf.write_text("[global]\ncert = /run/looplens-ca.crt\n")  # beside the image's own bundle, not over it
    return ["-v", f"{cert}:/run/looplens-ca.crt:ro", "-v", f"{pip_conf}:/etc/pip.conf:ro"]


def build(tag: str = "looplens", quiet: bool = True, cached: bool = True) -> float:
    """Build the image from the project folder; seconds spent."""
    ensure_base()
    started = time.monotonic()
    flags = ["--format", "docker"] if "podman" in (tool() or "") else []  # OCI images drop HEALTHCHECK
    flags += ["-q"] if quiet else []
    flags += [] if cached else ["--no-cache"]
    run("build", *flags, *build_args(), "-t", tag, str(ROOT), capture=quiet)
    return time.monotonic() - started


def build_aside(tag: str, log: Path) -> subprocess.Popen[bytes]:
    """``build(tag)`` in a process of its own at the lowest CPU priority, so that a test
    session can build the image while its other tests run; its output goes to ``log``, whose
    last line says what it took."""
    command = ["nice", "-n", "19", sys.executable, str(Path(__file__).resolve()), tag]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env())


def size_mb(name: str) -> float:
    out = run("image", "inspect", name, "--format", "{{.Size}}", capture=True).stdout.strip()
    return int(out) / 1e6


def summary(tag: str, seconds: float) -> str:
    """What a build took: its time, the image's size and its base's."""
    return f"built {tag} in {seconds:.0f} s: {size_mb(tag):.0f} MB ({BASE}: {size_mb(BASE):.0f} MB)"


if __name__ == "__main__":
    tag = sys.argv[1] if len(sys.argv) > 1 else "looplens"
    print(summary(tag, build(tag, quiet=False)))
