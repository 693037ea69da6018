# looplens: a multi-stage image on Debian's own Python (bookworm: 3.11). `make image` builds
# it with podman or Docker; tests/test_image.py builds and runs it for real.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv python3-dev gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
# No .pyc (a third of the venv) and no pip, setuptools or test suites in what ships: the
# image adds ≤ 300 MB to its base (bench/image.py measures it, and the start it costs).
RUN python3 -m venv /venv && /venv/bin/pip install --no-compile -r requirements.txt \
    && /venv/bin/pip uninstall -q -y pip setuptools \
    && find /venv -depth \( -name tests -o -name __pycache__ \) -type d -exec rm -rf {} +
# the tracer's C module (services/tracing/_looptrace*.c); the final stage has no compiler
COPY services/tracing/_looptrace.c services/tracing/_looptrace_read.c services/tracing/_looptrace.h services/tracing/
COPY scripts/build_ext.py scripts/
RUN /venv/bin/python scripts/build_ext.py && test -f services/tracing/_looptrace*.so

FROM ${BASE}
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/venv/bin:$PATH \
    LOOPLENS_DATA_DIR=/data LOOPLENS_READ_ONLY=true DEBIAN_FRONTEND=noninteractive
# ca-certificates: Open-Meteo and a Home Assistant on https
RUN apt-get update && apt-get install -y --no-install-recommends python3 ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && useradd --system --uid 10001 --home-dir /app looplens \
    && mkdir -p /data && chown looplens /data
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=looplens . .
COPY --from=build /build/services/tracing/_looptrace*.so services/tracing/
USER looplens
EXPOSE 8050
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4).status != 200)"
CMD ["python", "-m", "looplens", "run"]
