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

`paused()` keeps the collector off while such a process starts (its imports, the
configuration and the flows). Nearly everything start-up allocates stays: the ~290
collections CPython ran during `serve`'s imports freed about 2,000 objects in all (a
`gc.collect()` after a paused start-up finds the same), and cost 150-230 ms of its start.
Those few thousand are frozen with the rest by `tune()`, which follows.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation
OLDER_THRESHOLDS = (20, 100)  # collections of one generation between those of the next


def tune() -> None:
    # No gc.collect() first: at start-up it finds nothing to free and costs 80 ms.
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collections inside the block; afterwards the collector is as it was (on again
    unless it was off before), also when the block raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
