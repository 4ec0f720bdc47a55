"""Where the front end shows each conversation's current question, written behind the post.

A turn commits its answer and state, then the front end posts the next question and only
then learns the message's ts (`prompt_ref`): the next turn closes that message. The ts
cannot join the turn's transaction (the answer is committed before the question is
posted), so it was a second transaction per turn. Now it goes to this queue, and one
writer drains it: every reference waiting when it runs, in one transaction (under load,
one for a wave of turns instead of one each).

What keeps it right:
- Each write is conditional on the turn that posted the question still being the
  conversation's last (`last_activity` as that turn stored it): a late write never
  overwrites the reference of a newer turn — one in another instance included.
- The next turn of a conversation in this process takes a reference still waiting (or
  being written) from here, not the older one in its row, and writes it with its own
  state (`queries.store_turn`).
- Whatever reads the reference from storage outside a turn (a hand-over) calls `flush`
  first, and so does shutdown: nothing waiting is lost when the process stops. `flush`
  waits for what was queued before it was called, not for a stream that keeps coming.
- A write that fails (the store busy past its timeout, a lost connection, a deadlock
  with another instance) is tried again, up to `ATTEMPTS` times, unless a newer ts of
  the same conversation has come meanwhile; a batch's rows are updated in id order, so
  two writers never lock them in opposite orders. A writer cancelled midway leaves what
  it held queued, and the next `put` or `flush` starts another.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging

from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)
WRITER = "praktikbot:prompt-refs"  # the writer task's name (tests wait for it to finish)
ATTEMPTS = 4  # writes of one ts before it is given up (logged)
RETRY_AFTER = (0.2, 1.0, 5.0)  # seconds before the second, third and fourth attempt


@dataclasses.dataclass(frozen=True)
class _Ref:
    ts: str
    asked_at: dt.datetime | None  # UTC
    number: int  # the order it was queued in: what `flush` waits for
    attempts: int = 0


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """As storage reads it back: UTC (a naive value is UTC already). Compared in UTC, an
    hour that a local clock repeats in autumn still matches."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class PromptRefs:
    def __init__(self, db: Database) -> None:
        self._db = db
        # conversation id -> its newest ts not yet in storage
        self._waiting: dict[int, _Ref] = {}
        self._writing: dict[int, _Ref] = {}
        self._writer: asyncio.Task[None] | None = None
        self._queued = 0
        self._changed = asyncio.Event()

    def put(self, *, conversation_id: int, prompt_ref: str, asked_at: dt.datetime | None) -> None:
        """Queue the ts of the question that the turn stored at `asked_at` asks (None: a
        reply that did not say; written whatever the row's last turn)."""
        self._queued += 1
        self._waiting[conversation_id] = _Ref(prompt_ref, _utc(asked_at), self._queued)
        self._start()

    def waiting(self, *, conversation_id: int, asked_at: dt.datetime | None) -> str | None:
        """The queued ts for the conversation as its row has it (stored at `asked_at`),
        if it has not reached the row yet; None otherwise."""
        for queue in (self._waiting, self._writing):
            found = queue.get(conversation_id)
            if found is not None and found.asked_at in (None, _utc(asked_at)):
                return found.ts
        return None

    async def flush(self) -> None:
        """Return when every ts queued before this call is in storage (or given up,
        logged); what is queued meanwhile is not waited for."""
        last = self._queued
        while any(r.number <= last for r in (*self._waiting.values(), *self._writing.values())):
            changed = self._changed
            self._start()  # a writer cancelled meanwhile left these queued
            await changed.wait()

    def _start(self) -> None:
        if self._writer is None and self._waiting:
            self._writer = asyncio.get_running_loop().create_task(self._drain(), name=WRITER)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _drain(self) -> None:
        try:
            while self._waiting:
                self._writing, self._waiting = self._waiting, {}
                # In id order: another writer of the same rows locks them in the same order.
                refs = sorted((i, r.ts, r.asked_at) for i, r in self._writing.items())
                try:
                    await self._db.write(queries.prompt_ref_writes(refs))
                except Exception as error:
                    wait = self._again(error)
                    self._notify()
                    if wait is not None:
                        await asyncio.sleep(wait)
                    continue
                self._writing = {}
                self._notify()
        finally:
            for conversation_id, ref in self._writing.items():  # cancelled midway
                self._waiting.setdefault(conversation_id, ref)
            self._writing = {}
            self._writer = None
            self._notify()

    def _again(self, error: Exception) -> float | None:
        """Queue a failed batch's refs again (unless newer ones came, or their attempts
        are used up); the seconds to wait first, None when nothing is queued again."""
        kept, dropped = 0, 0
        for conversation_id, ref in self._writing.items():
            if conversation_id in self._waiting:
                continue  # a newer question's ts: that one is written
            if ref.attempts + 1 >= ATTEMPTS:
                dropped += 1
                continue
            self._waiting[conversation_id] = dataclasses.replace(ref, attempts=ref.attempts + 1)
            kept += 1
        attempt = min((r.attempts for r in self._writing.values()), default=0)
        self._writing = {}
        log.warning(
            "could not store %d question message refs (%s): %d queued again, %d given up",
            kept + dropped, type(error).__name__, kept, dropped,
        )  # fmt: skip
        return RETRY_AFTER[min(attempt, len(RETRY_AFTER) - 1)] if kept else None
