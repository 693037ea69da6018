#!/usr/bin/env bash
# Install what looplens needs on a Debian machine, then run: `run` (the app) or `test` (the suite).
# Used by the Makefile; idempotent, so a second call only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
}

python_env() {
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  local stamp="$VENV/.installed"
  if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt
    touch "$stamp"
  fi
  "$VENV/bin/python" scripts/build_ext.py  # the tracer's C hot path; rebuilt only when its source changed
}

case "${1:-}" in
  run)
    python_env
    exec "$VENV/bin/python" -m looplens run --bind "${LOOPLENS_BIND:-127.0.0.1:8050}" --workers "${LOOPLENS_WORKERS:-1}"
    ;;
  test)
    # the browser tests' browser, the MQTT tests' broker, the image test's container runtime and base
    apt_install chromium chromium-driver mosquitto podman runc debootstrap
    python_env
    shift
    echo "lint: ruff check, ruff format --check; types: mypy"
    "$VENV/bin/ruff" check --no-cache .
    "$VENV/bin/ruff" format --check --no-cache .
    "$VENV/bin/mypy"
    exec "$VENV/bin/python" -m pytest --durations=12 "$@"  # the slowest, so the suite stays fast
    ;;
  image)  # podman (with Debian's runc and debootstrap for a local base) unless Docker is there
    command -v docker >/dev/null 2>&1 || apt_install podman runc debootstrap
    python_env
    exec "$VENV/bin/python" scripts/image.py "${2:-looplens}"
    ;;
  screenshots)  # needs a running app; CJK fonts make Chinese text readable in the PNGs
    apt_install chromium chromium-driver fonts-noto-cjk
    python_env
    exec "$VENV/bin/python" scripts/screenshots.py "${2:-http://127.0.0.1:8050}" "${3:-screenshots}" "${4:-docs}"
    ;;
  *)
    echo "usage: $0 run|test [pytest args]|image [tag]|screenshots [url] [dir]" >&2
    exit 2
    ;;
esac
