"""The garbage collector set for a long-running bot process (`serve`, `socket`, `remind`).

CPython collects its youngest generation every 700 net allocations of container objects,
and every full collection walks every object the process holds — the ~170,000 that the
imports alone leave (modules, classes, functions, pydantic and SQLAlchemy metadata),
which never become garbage. A turn or a reminder tick allocates thousands of short-lived
objects (ORM rows, dicts of Slack payloads), so the collector ran hundreds of times per
tick: in the bench's reminder tick 430–460 collections, 550–740 ms of a ~2.9 s tick.

`tune()`, called once the process has started, moves what start-up left into the
permanent generation (`gc.freeze`: never walked again) and collects the youngest
generation every 50,000 allocations instead of 700 (the same tick: 4–27 collections,
100–190 ms). Reference counting still frees almost everything at once; only garbage in
reference cycles waits longer, bounded by the same thresholds.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation
OLDER_THRESHOLDS = (20, 100)  # collections of one generation between those of the next


def tune() -> None:
    # No gc.collect() first: at start-up it finds nothing to free and costs 80 ms.
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
