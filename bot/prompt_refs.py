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
  first, and so does shutdown: nothing waiting is lost when the process stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)
WRITER = "praktikbot:prompt-refs"  # the writer task's name (tests wait for it to finish)


class PromptRefs:
    def __init__(self, db: Database) -> None:
        self._db = db
        # conversation id -> (message ts, the posting turn's last_activity); the newest wins
        self._waiting: dict[int, tuple[str, dt.datetime | None]] = {}
        self._writing: dict[int, tuple[str, dt.datetime | None]] = {}
        self._writer: asyncio.Task[None] | None = None

    def put(self, *, conversation_id: int, prompt_ref: str, asked_at: dt.datetime | None) -> None:
        """Queue the ts of the question that the turn stored at `asked_at` asks (None: a
        reply that did not say; written whatever the row's last turn)."""
        if asked_at is not None and asked_at.tzinfo is None:
            asked_at = asked_at.replace(tzinfo=dt.UTC)  # as storage reads it back
        self._waiting[conversation_id] = (prompt_ref, asked_at)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain(), name=WRITER)

    def waiting(self, *, conversation_id: int, asked_at: dt.datetime | None) -> str | None:
        """The queued ts for the conversation as its row has it (stored at `asked_at`),
        if it has not reached the row yet; None otherwise."""
        for queue in (self._waiting, self._writing):
            found = queue.get(conversation_id)
            if found is not None and found[1] in (None, asked_at):
                return found[0]
        return None

    async def flush(self) -> None:
        """Return when everything queued so far is in storage (or failed, logged)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                self._writing, self._waiting = self._waiting, {}
                refs = [
                    (conversation_id, ref, asked_at)
                    for conversation_id, (ref, asked_at) in self._writing.items()
                ]
                try:
                    async with self._db.transaction() as session:
                        await queries.set_prompt_refs(session, refs)
                except Exception:
                    # The questions were posted; only closing them later needs the ts.
                    log.exception("could not store %d question message refs", len(refs))
                finally:
                    self._writing = {}
        finally:
            self._writer = None
