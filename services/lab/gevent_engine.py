"""The lab's gevent engine, in a process of its own: ``monkey.patch_all`` rewrites the
standard library for the whole process, so it must never run inside the app.

Reads a workload (JSON) on stdin; writes one JSON item per line as each finishes.
"""

from gevent import monkey

monkey.patch_all()

import dataclasses  # noqa: E402  (after patch_all, by design)
import json  # noqa: E402
import sys  # noqa: E402

from gevent.pool import Pool  # noqa: E402

from services.core.children import die_with_parent
from services.lab.workload import ASYNC_BOUND, Item, Workload, item_work


def main() -> None:
    die_with_parent()
    data = json.load(sys.stdin)
    workload = Workload(**{**data, "stations": tuple(data["stations"])})
    pool = Pool(min(ASYNC_BOUND, workload.n))

    def emit(item: Item) -> None:
        item.thread = ""  # greenlets: one worker, overlapping items (the lanes spread them)
        sys.stdout.write(json.dumps(dataclasses.asdict(item)) + "\n")
        sys.stdout.flush()

    for i in range(workload.n):
        pool.spawn(item_work, workload, i).link_value(lambda greenlet: emit(greenlet.value))
    pool.join()


if __name__ == "__main__":
    main()
