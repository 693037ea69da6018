"""The image, measured: build time cold (no cached layers) and cached, image size and what it
adds to its base, container start to the first 200 on /healthz, and the container's memory
after SECONDS of running (the collector and sensor simulator at work, no page open).

Targets (issue 20): the image adds ≤ 300 MB to its base; start → healthy ≤ 10 s.

Usage: python bench/image.py [SECONDS, default 60]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import image  # noqa: E402
from tests.test_image import Container  # noqa: E402

TAG = "localhost/looplens:bench"


def memory_mb(name: str) -> str:
    out = image.run("stats", "--no-stream", "--format", "{{.MemUsage}}", name, capture=True, check=False)
    return out.stdout.strip() or "(podman stats unavailable here)"


def main(seconds: float) -> None:
    base_s = image.ensure_base()
    cold = image.build(TAG, cached=False)
    cached = image.build(TAG)
    size, base = image.size_mb(TAG), image.size_mb(image.BASE)
    print(f"base {image.BASE}: {base:.0f} MB" + (f" (made here in {base_s:.0f} s)" if base_s else " (cached)"))
    print(f"build: cold {cold:.0f} s, cached {cached:.1f} s")
    print(f"image: {size:.0f} MB, adds {size - base:.0f} MB to its base (target ≤ 300 MB)")
    running = Container(TAG)
    try:
        started = time.monotonic()
        running.healthy_within(60)
        print(f"start → /healthz 200: {time.monotonic() - started:.1f} s (target ≤ 10 s)")
        time.sleep(seconds)
        print(f"memory after {seconds:g} s: {memory_mb(running.name)}")
    finally:
        running.close()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
