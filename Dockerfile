# looplens: multi-stage image; tests/test_gunicorn.py runs its CMD (the supervised app).
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN python -m venv /venv && /venv/bin/pip install -r requirements.txt
# the tracer's C hot path (services/tracing/_looptrace.c); the slim image has no compiler
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY services/tracing/_looptrace.c services/tracing/
COPY scripts/build_ext.py scripts/
RUN /venv/bin/python scripts/build_ext.py && test -f services/tracing/_looptrace*.so

FROM python:3.11.7-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/venv/bin:$PATH \
    LOOPLENS_DATA_DIR=/data LOOPLENS_READ_ONLY=true
RUN useradd --system --uid 10001 --home-dir /app looplens \
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
