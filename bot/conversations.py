"""The conversation service: one turn = load state, run the engine, store everything.

Both front ends (terminal, Slack) call this and only render what it returns. A turn is
one database transaction: the de-duplication mark, the new state, the answers and the
effects of completing a flow are committed together or not at all.

Every input is de-duplicated first: a repeated delivery changes and says nothing, also
after its conversation has finished. Access is checked on every turn, with the roles as
they are now: a conversation is its consultant's alone, and on a praktik the actor must
still be allowed to act (its owner, a lead of its team, an administrator). The praktik's
row stays locked from that check until the turn commits, and the check is made again
before a completed flow's effects run, so it holds at saving. Every refusal is audited
(ids only).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import absence, lookups, messages, risk_review
from bot.access import Access, Roles, access
from bot.config import AppConfig
from bot.context import flow_context
from bot.effect_run import CopyText, GuideView
from bot.effects import CORRECTIONS, EFFECTS, EffectRun, locked_steps
from bot.followups import changes
from bot.history import meeting_day, praktik_history
from bot.prompt_refs import PromptRefs
from bot.risk_review import ProposalView
from dialogues import engine
from dialogues.answers import display
from dialogues.dates import format_danish_date
from dialogues.model import Flow
from dialogues.rules import Env
from dialogues.state import ConversationState, FlowContext, Form, Prompt, Turn, UserInput
from dialogues.structure import flow_lookups, reads_history
from storage import meetings, queries
from storage.db import Database
from storage.models import Consultant, Conversation, FollowUp, Praktik

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who is talking to the bot, with the roles app.yaml gives them."""

    user_key: str
    name: str
    slack_user_id: str | None = None
    roles: Roles = field(default_factory=Roles)

    @property
    def team_id(self) -> str | None:
        return self.roles.team_id


class Outcome(StrEnum):
    """What a turn came to (`Reply.outcome`): front ends branch on this, never on the
    text of `Reply.messages`."""

    ANSWERED = "answered"  # the input reached its conversation (or started one)
    NO_CONVERSATION = "no_conversation"  # nothing is open under the key
    REFUSED = "refused"  # the actor may not act here (audited); tell only them
    DUPLICATE = "duplicate"  # a repeated delivery: nothing to say, ever again
    STALE = "stale"  # the input was for a question or state that has passed
    ALREADY_OPEN = "already_open"  # a start of what the actor already has open


@dataclass
class Reply:
    """What the front end shows after a turn; `outcome` says what happened."""

    messages: list[str] = field(default_factory=list)
    prompt: Prompt | None = None
    notes: list[CopyText] = field(default_factory=list)  # texts to copy, in order
    finished: bool = False
    duplicate: bool = False
    conversation_id: int | None = None
    flow_id: str | None = None
    praktik_id: int | None = None
    answered_display: str | None = None
    answered_question: str | None = None
    previous_prompt_ref: str | None = None
    # The conversation's last_activity as this reply leaves it: where the front end
    # posts `prompt`, `set_prompt_ref` stores the message's ts only while it still is.
    asked_at: dt.datetime | None = None
    previous_question: str | None = None
    stale: bool = False
    refused: bool = False  # the actor may not act here (audited); tell only them
    # A button asked to start what the actor already has open (`start(resume_open=True)`):
    # nothing changed; `messages` say where it is, `open_key` which conversation it is.
    already_open: bool = False
    open_key: str | None = None
    # A form (FormInput, or `current`): the steps that apply now, and the fields whose
    # values were not taken, with the validators' own messages.
    form: Form | None = None
    form_errors: dict[str, str] = field(default_factory=dict)

    guide: GuideView | None = None  # a meeting guide to show, with its 'Registrér mødet'
    proposal: ProposalView | None = None  # an extra follow-up to accept or decline
    # A saved conversation whose answers may be corrected (its first version's id).
    correctable_id: int | None = None
    no_conversation: bool = False  # nothing was open under the key

    @property
    def outcome(self) -> Outcome:
        if self.duplicate:
            return Outcome.DUPLICATE
        if self.refused:
            return Outcome.REFUSED
        if self.no_conversation:
            return Outcome.NO_CONVERSATION
        if self.already_open:
            return Outcome.ALREADY_OPEN
        if self.stale:
            return Outcome.STALE
        return Outcome.ANSWERED

    @property
    def note(self) -> str | None:
        """The case-note draft (journalnotat) among the texts to copy, if any."""
        return next((n.text for n in self.notes if n.kind == "journalnotat"), None)


@dataclass(frozen=True)
class FormInput:
    """Several answers at once, from a form: values by field id (None = left empty), the
    option digests they were chosen under, and whether the form was submitted (every
    field required) or only saved (changed or closed: what is valid is kept)."""

    values: Mapping[str, Any]
    options_keys: Mapping[str, str] = field(default_factory=dict)
    submit: bool = False


@dataclass(frozen=True)
class Correctable:
    """A saved answer the actor may correct."""

    conversation_id: int  # the saved conversation's first version
    step_id: str
    label: str
    display: str
    flow_title: str
    day: dt.date

    @property
    def described(self) -> str:
        return f"{self.flow_title} {format_danish_date(self.day)}: {self.label}"


class ConversationService:
    def __init__(self, *, db: Database, config: AppConfig, flows: dict[str, Flow]) -> None:
        self.db = db
        self.config = config
        self.flows = flows
        self.prompt_refs = PromptRefs(db)

    async def start(
        self,
        *,
        actor: Actor,
        key: str,
        flow_id: str,
        source_key: str,
        now: dt.datetime,
        praktik_id: int | None = None,
        followup_id: int | None = None,
        channel: str | None = None,
        thread_ts: str | None = None,
        resume_open: bool = False,
        carry_from: int | None = None,
    ) -> Reply:
        """Start `flow_id` under `key`, closing the actor's own conversation active there
        (someone else's is never touched). A `followup_id` (from a reminder) names the
        follow-up the conversation is about. With `resume_open` (a button), an open
        conversation of the same flow about the same praktik is kept and pointed to: a
        second click starts nothing. `carry_from`: the actor's saved conversation on the
        same praktik whose flow continues with this one (the guide's 'Registrér mødet'):
        its answers to the steps both flows have are this one's first answers."""
        flow = self.flows.get(flow_id)
        if flow is None:
            return Reply(messages=[messages.UNKNOWN_FLOW])
        async with self.db.transaction(short=True) as session:
            if not await queries.claim_input(session, source_key=source_key):
                return Reply(duplicate=True)
            # A button's concurrent second click waits here, then finds the first's.
            known = await queries.consultant_by_key(
                session, user_key=actor.user_key, lock=resume_open
            )
            # Lock order as everywhere: the conversation, then its praktik.
            previous = await queries.active_conversation(session, key=key)
            praktik: Praktik | None = None
            if flow.needs_praktik:
                if praktik_id is None:
                    return Reply(messages=[messages.NEEDS_PRAKTIK])
                praktik = await self._accessible_praktik(
                    session, actor, known, praktik_id, now=now, lock=True
                )
                if praktik is None:
                    await queries.audit(
                        session,
                        actor=actor.user_key,
                        action="denied",
                        praktik_id=praktik_id,
                        detail={"flow": flow.id},
                    )
                    return Reply(messages=[messages.PRAKTIK_NOT_FOUND], refused=True)
                refusal = await self._state_refusal(session, flow, praktik, followup_id, now)
                if refusal is not None:
                    return Reply(messages=[refusal])
            if previous is not None and (known is None or previous.consultant_id != known.id):
                await self._deny(session, actor, previous, "not_owner")
                return Reply(messages=[messages.NOT_YOUR_CONVERSATION], refused=True)
            if resume_open and known is not None and known.id is not None:
                reply = await self._already_open(session, known.id, flow, praktik, key, now)
                if reply is not None:
                    return reply
            consultant = await self._consultant(session, actor)
            if praktik is not None:
                await queries.audit(
                    session,
                    actor=actor.user_key,
                    action="view",
                    praktik_id=praktik.id,
                    detail={
                        "flow": flow.id,
                        **await self._as_stand_in(session, actor, known, praktik, now),
                    },
                )
            reply = Reply()
            if previous is not None:
                await queries.close_conversation(session, conversation=previous, status="cancelled")
                old = self.flows.get(previous.flow_id)
                reply.messages.append(messages.REPLACED.format(title=old.title if old else "?"))
            assert consultant.id is not None
            preset, carried_followup = await self._carried(
                session, carry_from, consultant, praktik, flow
            )
            conversation = await queries.create_conversation(
                session,
                key=key,
                consultant_id=consultant.id,
                flow_id=flow.id,
                flow_version=flow.version,
                praktik_id=praktik.id if praktik else None,
                followup_id=await self._followup_of(
                    session, praktik, followup_id or carried_followup
                ),
                channel=channel,
                thread_ts=thread_ts,
            )
            ctx = await self._context(session, flow, praktik, followup_id=conversation.followup_id)
            turn = engine.start(flow, ctx, now, preset=preset)
            await self._store(
                session,
                conversation,
                actor,
                consultant,
                flow,
                turn,
                praktik,
                now,
                reply,
                source_key,
            )
            return reply

    async def open_elsewhere(
        self, *, actor: Actor, flow_id: str, praktik_id: int | None, now: dt.datetime
    ) -> Reply | None:
        """What `start(resume_open=True)` would answer without starting anything, or None
        when it would start: lets a front end skip opening a new thread for a second click.
        Changes nothing."""
        flow = self.flows.get(flow_id)
        if flow is None:
            return None
        async with self.db.transaction(short=True) as session:
            known = await queries.consultant_by_key(session, user_key=actor.user_key)
            if known is None or known.id is None:
                return None
            praktik = None
            if praktik_id is not None:
                praktik = await self._accessible_praktik(session, actor, known, praktik_id, now=now)
                if praktik is None:
                    return None  # start() refuses it, audited
            found = await queries.open_conversation_of(
                session, consultant_id=known.id, flow_id=flow.id, praktik_id=praktik_id
            )
            if found is None or self._expired(found, now):
                return None
            return self._open_reply(flow, praktik, here=False, key=found.key)

    async def refuse(self, *, actor: Actor, key: str | None, source_key: str, reason: str) -> Reply:
        """Refuse an input that may not reach the conversation under `key` (e.g. it came
        from a channel that is not the actor's own DM): nothing changes but the audit
        entry and the de-duplication mark; a repeated delivery says nothing."""
        async with self.db.transaction(short=True) as session:
            if not await queries.claim_input(session, source_key=source_key):
                return Reply(duplicate=True)
            conversation = (
                await queries.active_conversation(session, key=key, lock=False) if key else None
            )
            await self._deny(session, actor, conversation, reason)
            return Reply(messages=[messages.NOT_YOUR_CONVERSATION], refused=True, finished=True)

    async def answer(
        self,
        *,
        actor: Actor,
        key: str,
        inp: UserInput | FormInput,
        source_key: str,
        now: dt.datetime,
    ) -> Reply:
        """Feed one input to the conversation active under `key` — or, from a form,
        several answers at once (`FormInput`), in the same transaction and with the same
        checks; the reply then carries the form as it is now."""
        async with self.db.transaction(short=True) as session:
            if not await queries.claim_input(session, source_key=source_key):
                return Reply(duplicate=True)  # handled before: nothing to say, ever again
            loaded = await queries.active_conversation_and_consultant(
                session, key=key, user_key=actor.user_key
            )
            if loaded is None:
                return await self._no_conversation(session, actor, key)
            conversation, consultant = loaded
            if consultant is None or conversation.consultant_id != consultant.id:
                await self._deny(session, actor, conversation, "not_owner")
                return Reply(messages=[messages.NOT_YOUR_CONVERSATION], finished=True, refused=True)
            reply = Reply(conversation_id=conversation.id, flow_id=conversation.flow_id)
            flow = self.flows.get(conversation.flow_id)
            if flow is None:
                await queries.close_conversation(
                    session, conversation=conversation, status="cancelled"
                )
                return Reply(messages=[messages.FLOW_REMOVED], finished=True)
            if self._expired(conversation, now):
                await queries.close_conversation(
                    session, conversation=conversation, status="expired"
                )
                hours = self.config.conversations.expire_after_hours
                return Reply(
                    messages=[messages.EXPIRED.format(title=flow.title, hours=hours)], finished=True
                )
            praktik = None
            if conversation.praktik_id is not None:
                # Locked until this turn commits: a hand-over waits for it, or it for that.
                praktik = await self._accessible_praktik(
                    session, actor, consultant, conversation.praktik_id, now=now, lock=True
                )
                if praktik is None:
                    return await self._revoke(session, actor, conversation, flow)
                if not flow.needs_praktik and conversation.corrects_id is None:
                    praktik = None  # registration: no praktik yet
            ctx = await self._context(
                session,
                flow,
                praktik,
                followup_id=conversation.followup_id,
                correcting=conversation.corrects_id,
            )
            state, restarted = self._state_for(flow, conversation, reply)
            if flow_lookups(flow) and not restarted:
                # A form brings several answers at once: their values are keys too.
                given = (
                    {**state.answers, **{k: v for k, v in inp.values.items() if v is not None}}
                    if isinstance(inp, FormInput)
                    else state.answers
                )
                found = await lookups.resolve(
                    session, config=self.config, flows=self.flows, flow=flow,
                    answers=given, step=conversation.step,
                    inp=inp if isinstance(inp, UserInput) else None,
                    consultant_id=consultant.id, now=now,
                )  # fmt: skip
                ctx = ctx.model_copy(update={"lookups": found})
            if restarted:
                turn = engine.start(flow, ctx, now)
            else:
                # The question being answered, as the turn that asked it stored it; only
                # a conversation stored before that (or waiting on no question) has the
                # engine work it out again.
                if conversation.prompt_text is not None:
                    reply.previous_question = conversation.prompt_text
                else:
                    before = engine.current_prompt(flow, state, ctx, now).prompt
                    reply.previous_question = before.text if before else None
                if isinstance(inp, FormInput):
                    form_turn = engine.apply_form(
                        flow,
                        state,
                        inp.values,
                        ctx,
                        now,
                        submit=inp.submit,
                        options_keys=inp.options_keys,
                    )
                    turn, reply.form_errors = form_turn.turn, dict(form_turn.errors)
                else:
                    turn = engine.advance(flow, state, inp, ctx, now)
                reply.stale = turn.stale
            await self._store(
                session,
                conversation,
                actor,
                consultant,
                flow,
                turn,
                praktik,
                now,
                reply,
                source_key,
            )
            if isinstance(inp, FormInput):
                # Several answers: the thread's question is replaced, not answered (the
                # front end marks it so, once: the form is where it is answered now).
                reply.answered_display = reply.answered_question = None
                conversation.prompt_ref = None
                if not reply.finished:
                    reply.form = engine.form(flow, turn.state, ctx, now)
            return reply

    async def claim(self, source_key: str) -> bool:
        """Mark an input handled that changes no conversation; False if seen before."""
        async with self.db.transaction(short=True) as session:
            return await queries.claim_input(session, source_key=source_key)

    def set_prompt_ref(
        self, *, conversation_id: int, prompt_ref: str, asked_at: dt.datetime | None
    ) -> None:
        """Remember where the front end shows the question of the reply that left the
        conversation at `asked_at` (`Reply.asked_at`): written behind, see
        bot.prompt_refs; `flush_prompt_refs` waits for it."""
        self.prompt_refs.put(
            conversation_id=conversation_id, prompt_ref=prompt_ref, asked_at=asked_at
        )

    async def flush_prompt_refs(self) -> None:
        """Return when every question's message ts given so far is in storage."""
        await self.prompt_refs.flush()

    async def current(self, *, actor: Actor, key: str, now: dt.datetime) -> Reply | None:
        """The prompt the active conversation under `key` waits on, without changing it."""
        async with self.db.transaction(short=True) as session:
            conversation = await queries.active_conversation(session, key=key, lock=False)
            if conversation is None or self._expired(conversation, now):
                return None
            flow = self.flows.get(conversation.flow_id)
            if flow is None:
                return None
            praktik = None
            if conversation.praktik_id is not None:
                known = await queries.consultant_by_key(session, user_key=actor.user_key)
                praktik = await self._accessible_praktik(
                    session, actor, known, conversation.praktik_id, now=now
                )
                if praktik is None:
                    return None  # the next input is refused and closes it
            reply = Reply(
                conversation_id=conversation.id,
                flow_id=flow.id,
                asked_at=conversation.last_activity,
            )
            state, restarted = self._state_for(flow, conversation, reply)
            ctx = await self._context(
                session,
                flow,
                praktik,
                followup_id=conversation.followup_id,
                correcting=conversation.corrects_id,
            )
            turn = (
                engine.start(flow, ctx, now)
                if restarted
                else engine.current_prompt(flow, state, ctx, now)
            )
            reply.prompt = turn.prompt
            reply.messages.extend(turn.messages if restarted else ())
            reply.form = engine.form(flow, turn.state, ctx, now)
            return reply

    # --- corrections of saved answers ---------------------------------------------

    async def correctable(
        self,
        *,
        actor: Actor,
        praktik_id: int | None = None,
        conversation_id: int | None = None,
        now: dt.datetime,
        limit: int = 100,
    ) -> list[Correctable]:
        """The saved answers the actor may correct: of one saved conversation, or of every
        saved conversation on a praktik (newest first). Changes nothing."""
        async with self.db.transaction(short=True) as session:
            known = await queries.consultant_by_key(session, user_key=actor.user_key)
            if conversation_id is not None:
                source = await meetings.conversation(session, conversation_id=conversation_id)
                praktik_id = source.praktik_id if source is not None else None
            if praktik_id is None:
                return []
            praktik = await self._accessible_praktik(session, actor, known, praktik_id, now=now)
            if praktik is None or praktik.id is None:
                await queries.audit(
                    session, actor=actor.user_key, action="denied", praktik_id=praktik_id,
                    detail={"what": "correctable", "reason": "no_access"},
                )  # fmt: skip
                return []
            found: list[Correctable] = []
            saved = await meetings.saved_conversations(session, praktik_id=praktik.id)
            for conversation in reversed(saved):
                assert conversation.id is not None
                root = conversation.corrects_id or conversation.id
                flow = self.flows.get(conversation.flow_id)
                if flow is None or (conversation_id is not None and root != conversation_id):
                    continue
                state = ConversationState.model_validate(conversation.state)
                ctx = flow_context(self.config, praktik if flow.needs_praktik else None)
                day = meeting_day(self.config, conversation)
                env = Env(ctx=ctx, answers=state.answers, today=day)
                for step_id in self._correctable_steps(flow, state):
                    step = flow.step(step_id)
                    shown = display(step, engine.options_for(step, env), state.answers[step_id])
                    found.append(
                        Correctable(root, step_id, step.short_label, shown, flow.title, day)
                    )
            return found[:limit]

    async def start_correction(
        self,
        *,
        actor: Actor,
        key: str,
        conversation_id: int,
        step_id: str,
        source_key: str,
        now: dt.datetime,
        channel: str | None = None,
        thread_ts: str | None = None,
    ) -> Reply:
        """Open a saved conversation again under `key` to correct one answer: the saved
        answers are the starting point, the engine asks `step_id` again with the same
        checks (and what depends on it), and saving stores the new version, redoes what
        can be redone (bot.effects.CORRECTIONS) and drafts the case note anew."""
        async with self.db.transaction(short=True) as session:
            if not await queries.claim_input(session, source_key=source_key):
                return Reply(duplicate=True)
            known = await queries.consultant_by_key(session, user_key=actor.user_key)
            source = await meetings.conversation(session, conversation_id=conversation_id)
            if source is None or source.praktik_id is None or source.status != "done":
                return Reply(messages=[messages.CORRECTION_NOT_FOUND])
            root = source.corrects_id or source.id
            assert root is not None
            previous = await queries.active_conversation(session, key=key)
            praktik = await self._accessible_praktik(
                session, actor, known, source.praktik_id, now=now, lock=True
            )
            if praktik is None:
                await queries.audit(
                    session, actor=actor.user_key, action="denied", praktik_id=source.praktik_id,
                    detail={"conversation": root, "reason": "no_access"},
                )  # fmt: skip
                return Reply(messages=[messages.CORRECTION_NOT_FOUND], refused=True)
            newest = await self._newest_saved(session, root)
            flow = self.flows.get(newest.flow_id)
            if flow is None:
                return Reply(messages=[messages.FLOW_REMOVED])
            state = ConversationState.model_validate(newest.state)
            if step_id not in self._correctable_steps(flow, state):
                hint = locked_steps(flow).get(step_id, messages.NOTHING_TO_CORRECT)
                return Reply(messages=[hint])
            if previous is not None and (known is None or previous.consultant_id != known.id):
                await self._deny(session, actor, previous, "not_owner")
                return Reply(messages=[messages.NOT_YOUR_CONVERSATION], refused=True)
            consultant = await self._consultant(session, actor)
            assert consultant.id is not None
            reply = Reply()
            if previous is not None:
                await queries.close_conversation(session, conversation=previous, status="cancelled")
                old = self.flows.get(previous.flow_id)
                reply.messages.append(messages.REPLACED.format(title=old.title if old else "?"))
            conversation = await queries.create_conversation(
                session, key=key, consultant_id=consultant.id, flow_id=flow.id,
                flow_version=flow.version, praktik_id=praktik.id,
                followup_id=newest.followup_id, channel=channel, thread_ts=thread_ts,
            )  # fmt: skip
            conversation.corrects_id = root
            await queries.audit(
                session, actor=actor.user_key, action="view", praktik_id=praktik.id,
                detail={"flow": flow.id, "correct": root},
            )  # fmt: skip
            state.flow_version, state.status = flow.version, "summary"
            known_steps = {s.id for s in flow.steps}
            state.answers = {k: v for k, v in state.answers.items() if k in known_steps}
            ctx = await self._context(
                session, flow, praktik, followup_id=newest.followup_id, correcting=root
            )
            turn = engine.advance(
                flow, state, UserInput(command="edit", edit_step=step_id), ctx, now
            )
            day = format_danish_date(meeting_day(self.config, newest))
            reply.messages.append(messages.CORRECTION_START.format(title=flow.title, date=day))
            await self._store(
                session, conversation, actor, consultant, flow, turn,
                praktik if flow.needs_praktik else None, now, reply, source_key,
            )  # fmt: skip
            return reply

    # --- proposals -------------------------------------------------------------------

    async def decide_proposal(
        self, *, actor: Actor, proposal_id: int, accept: bool, source_key: str, now: dt.datetime
    ) -> Reply:
        """Accept or decline an extra follow-up the risk rules proposed: by whoever may act
        on its praktik, once (a second click says it was answered)."""
        async with self.db.transaction(short=True) as session:
            if not await queries.claim_input(session, source_key=source_key):
                return Reply(duplicate=True)
            proposal = await meetings.proposal(session, proposal_id=proposal_id, lock=True)
            if proposal is None:
                return Reply(messages=[messages.PRAKTIK_NOT_FOUND], refused=True)
            known = await queries.consultant_by_key(session, user_key=actor.user_key)
            praktik = await self._accessible_praktik(
                session, actor, known, proposal.praktik_id, now=now, lock=True
            )
            if praktik is None:
                await queries.audit(
                    session, actor=actor.user_key, action="denied",
                    praktik_id=proposal.praktik_id,
                    detail={"proposal": proposal_id, "reason": "no_access"},
                )  # fmt: skip
                return Reply(messages=[messages.PRAKTIK_NOT_FOUND], refused=True)
            if praktik.status != "active":
                return Reply(
                    messages=[messages.PRAKTIK_ENDED.format(case_ref=praktik.case_ref)], stale=True
                )
            decision = await risk_review.decide(
                session, config=self.config, proposal=proposal, accept=accept,
                actor_key=actor.user_key, now=now,
            )  # fmt: skip
            return Reply(
                messages=[decision.text], stale=decision.status == "stale", praktik_id=praktik.id
            )

    # --- internals ----------------------------------------------------------------

    @staticmethod
    def _correctable_steps(flow: Flow, state: ConversationState) -> list[str]:
        """The answered steps of a saved conversation that a correction may change."""
        locked = locked_steps(flow)
        return [s.id for s in flow.steps if s.id in state.answers and s.id not in locked]

    async def _newest_saved(
        self, session: AsyncSession, root: int, *, before: int | None = None
    ) -> Conversation:
        """The newest saved version of a conversation (itself, or its latest correction;
        with `before`: saved before that one)."""
        newest = None
        for conversation_id in await meetings.chain_ids(session, root_id=root):
            if before is not None and conversation_id >= before:
                continue
            found = await meetings.conversation(session, conversation_id=conversation_id)
            if found is not None and found.status == "done":
                newest = found
        assert newest is not None
        return newest

    async def _versions(
        self, session: AsyncSession, conversation: Conversation, flow: Flow, actor: Actor
    ) -> str:
        """A saved correction: each changed answer's new row becomes the next version of
        the one it replaces; audited with step ids and versions only (no content)."""
        assert conversation.id is not None and conversation.corrects_id is not None
        root = conversation.corrects_id
        before = await self._newest_saved(session, root, before=conversation.id)
        old = before.state.get("answers") or {}
        new = conversation.state.get("answers") or {}
        changed = [s.id for s in flow.steps if (s.id in old or s.id in new)
                   and old.get(s.id) != new.get(s.id)]  # fmt: skip
        earlier = [i for i in await meetings.chain_ids(session, root_id=root)
                   if i != conversation.id]  # fmt: skip
        versions: dict[str, int] = {}
        await session.flush()
        for answer in await meetings.answers_of(session, conversation_id=conversation.id):
            if answer.step_id not in changed or answer.id is None:
                continue
            replaces = await meetings.current_answer(
                session, conversation_ids=earlier, step_id=answer.step_id, question=answer.question
            )
            marked = await meetings.mark_version(session, answer_id=answer.id, replaces=replaces)
            if marked is not None:
                versions[answer.step_id] = max(versions.get(answer.step_id, 0), marked.version)
        await queries.audit(
            session, actor=actor.user_key, action="correct", praktik_id=conversation.praktik_id,
            detail={"conversation": root, "correction": conversation.id, "steps": changed,
                    "versions": versions},
        )  # fmt: skip
        labels = ", ".join(flow.step(s).short_label for s in changed) or "ingen ændringer"
        return messages.CORRECTION_SAVED.format(steps=labels)

    async def _context(
        self,
        session: AsyncSession,
        flow: Flow,
        praktik: Praktik | None,
        *,
        followup_id: int | None = None,
        correcting: int | None = None,
    ) -> FlowContext:
        """The engine's context: the praktik (for a flow about one) and, for a flow that
        reads it, the praktik's past; a correction (`correcting`: the saved conversation's
        first version) leaves that conversation out of the past and locks what cannot be
        corrected."""
        about = praktik if flow.needs_praktik else None
        history = None
        if about is not None and reads_history(flow):
            history = await praktik_history(
                session,
                config=self.config,
                flows=self.flows,
                praktik=about,
                followup_id=followup_id,
                exclude_root=correcting,
            )
        locked = locked_steps(flow) if correcting is not None else None
        return flow_context(self.config, about, history=history, locked_steps=locked)

    async def _carried(
        self,
        session: AsyncSession,
        carry_from: int | None,
        consultant: Consultant,
        praktik: Praktik | None,
        flow: Flow,
    ) -> tuple[dict[str, object] | None, int | None]:
        """The answers (and follow-up) a continuation starts with: from the actor's own
        saved conversation on the same praktik whose flow continues with `flow`."""
        if carry_from is None or praktik is None:
            return None, None
        source = await meetings.conversation(session, conversation_id=carry_from)
        before = self.flows.get(source.flow_id) if source is not None else None
        if (
            source is None
            or before is None
            or source.status != "done"
            or source.consultant_id != consultant.id
            or source.praktik_id != praktik.id
            or before.continue_with is None
            or before.continue_with.flow != flow.id
        ):
            return None, None
        answers = source.state.get("answers") or {}
        return {k: v for k, v in answers.items() if flow.has_step(k)}, source.followup_id

    def _expired(self, conversation: Conversation, now: dt.datetime) -> bool:
        limit = dt.timedelta(hours=self.config.conversations.expire_after_hours)
        return now - conversation.last_activity > limit

    def _state_for(
        self, flow: Flow, conversation: Conversation, reply: Reply
    ) -> tuple[ConversationState, bool]:
        """The stored state, adapted to the current flow file. True when it must restart."""
        try:
            state = ConversationState.model_validate(conversation.state)
        except ValidationError:
            log.warning("conversation %s has unreadable state; restarting", conversation.id)
            reply.messages.append(messages.FLOW_CHANGED_RESTART.format(title=flow.title))
            return engine.new_state(flow), True
        if state.flow_version == flow.version:
            return state, False
        step = conversation.step
        if step in (None, "_summary") or flow.has_step(str(step)):
            known = {s.id for s in flow.steps}
            state.answers = {k: v for k, v in state.answers.items() if k in known}
            state.history = [h for h in state.history if h in known]
            state.partial = {k: v for k, v in state.partial.items() if k in known}
            state.flow_version = flow.version
            if state.status == "summary":
                state.status = "active"  # the summary is rebuilt from the current flow
            reply.messages.append(messages.FLOW_CHANGED_CONTINUE)
            log.info(
                "conversation %s continues on flow %s version %s",
                conversation.id,
                flow.id,
                flow.version,
            )
            return state, False
        reply.messages.append(messages.FLOW_CHANGED_RESTART.format(title=flow.title))
        log.info("conversation %s restarts: step %s left flow %s", conversation.id, step, flow.id)
        return engine.new_state(flow), True

    async def _state_refusal(
        self,
        session: AsyncSession,
        flow: Flow,
        praktik: Praktik,
        followup_id: int | None,
        now: dt.datetime,
    ) -> str | None:
        """Why the flow cannot run on the praktik as it is now, or None. A flow about an
        ended praktik (`praktik_status: ended`) records a status after the end: it needs
        the end outcome recorded and a status follow-up due."""
        if flow.praktik_status == "active":
            if praktik.status != "active":
                return messages.PRAKTIK_ENDED.format(case_ref=praktik.case_ref)
            return None
        if praktik.status != "ended":
            return messages.OUTCOME_FIRST.format(case_ref=praktik.case_ref)
        assert praktik.id is not None
        due = await changes.status_followup_for(
            session, config=self.config, praktik_id=praktik.id, now=now, preferred=followup_id
        )
        if due is None:
            return messages.NO_STATUS_DUE.format(case_ref=praktik.case_ref)
        return None

    async def _consultant(self, session: AsyncSession, actor: Actor) -> Consultant:
        return await queries.get_or_create_consultant(
            session,
            user_key=actor.user_key,
            name=actor.name,
            slack_user_id=actor.slack_user_id,
            team_id=actor.team_id,
        )

    async def _followup_of(
        self, session: AsyncSession, praktik: Praktik | None, followup_id: int | None
    ) -> int | None:
        """`followup_id` if it is a follow-up of `praktik` (a forged one is ignored)."""
        if praktik is None or followup_id is None:
            return None
        followup = await session.get(FollowUp, followup_id)
        return followup_id if followup is not None and followup.praktik_id == praktik.id else None

    async def _deny(
        self,
        session: AsyncSession,
        actor: Actor,
        conversation: Conversation | None,
        reason: str,
    ) -> None:
        await queries.audit(
            session,
            actor=actor.user_key,
            action="denied",
            praktik_id=conversation.praktik_id if conversation else None,
            detail={"conversation": conversation.id if conversation else None, "reason": reason},
        )

    async def _no_conversation(self, session: AsyncSession, actor: Actor, key: str) -> Reply:
        """Input where no conversation is active. If the last one here was closed because
        its praktik was handed over (or access to it ended), that input is refused."""
        last = await queries.last_conversation(session, key=key)
        if last is not None and last.status in ("handed_over", "revoked"):
            await self._deny(session, actor, last, last.status)
            praktik = (
                await queries.get_praktik(session, praktik_id=last.praktik_id)
                if last.praktik_id is not None
                else None
            )
            return Reply(
                messages=[messages.CLOSED_NO_ACCESS.format(ref=self._ref(praktik))],
                finished=True,
                refused=True,
            )
        return Reply(messages=[messages.NO_CONVERSATION], finished=True, no_conversation=True)

    async def _revoke(
        self, session: AsyncSession, actor: Actor, conversation: Conversation, flow: Flow
    ) -> Reply:
        """The actor may no longer act on the conversation's praktik: close it, saving
        nothing of this input, audited."""
        await self._deny(session, actor, conversation, "no_access")
        await queries.close_conversation(session, conversation=conversation, status="revoked")
        praktik = (
            await queries.get_praktik(session, praktik_id=conversation.praktik_id)
            if conversation.praktik_id is not None
            else None
        )
        text = messages.ACCESS_ENDED.format(ref=self._ref(praktik), title=flow.title)
        return Reply(messages=[text], finished=True, refused=True)

    @staticmethod
    def _ref(praktik: Praktik | None) -> str:
        return (praktik.short_ref or "") if praktik is not None else ""

    def _open_reply(self, flow: Flow, praktik: Praktik | None, *, here: bool, key: str) -> Reply:
        about = f" for {praktik.short_ref}" if praktik is not None and praktik.short_ref else ""
        text = messages.ALREADY_OPEN_HERE if here else messages.ALREADY_OPEN_ELSEWHERE
        return Reply(
            messages=[text.format(title=flow.title, about=about)], already_open=True, open_key=key
        )

    async def _already_open(
        self,
        session: AsyncSession,
        consultant_id: int,
        flow: Flow,
        praktik: Praktik | None,
        key: str,
        now: dt.datetime,
    ) -> Reply | None:
        found = await queries.open_conversation_of(
            session,
            consultant_id=consultant_id,
            flow_id=flow.id,
            praktik_id=praktik.id if praktik is not None else None,
        )
        if found is None:
            return None
        if self._expired(found, now):
            await queries.close_conversation(session, conversation=found, status="expired")
            return None
        return self._open_reply(flow, praktik, here=found.key == key, key=found.key)

    async def _accessible_praktik(
        self,
        session: AsyncSession,
        actor: Actor,
        consultant: Consultant | None,
        praktik_id: int,
        *,
        now: dt.datetime,
        lock: bool = False,
    ) -> Praktik | None:
        """The praktik, if the actor may act on it (own, team lead's team, administrator,
        stand-in for its absent owner today), by the roles the actor has now."""
        praktik = await queries.get_praktik(session, praktik_id=praktik_id, lock=lock)
        if praktik is None or await self._access(session, actor, consultant, praktik, now) is None:
            return None
        return praktik

    async def _access(
        self,
        session: AsyncSession,
        actor: Actor,
        consultant: Consultant | None,
        praktik: Praktik,
        now: dt.datetime,
    ) -> Access | None:
        """On what basis the actor may act on `praktik` now (bot.access decides); the
        stand-in arrangements are read only when no role allows it."""
        consultant_id = consultant.id if consultant else None
        found = access(
            roles=actor.roles,
            consultant_id=consultant_id,
            owner_id=praktik.consultant_id,
            team_id=praktik.team_id,
        )
        if found is not None or consultant_id is None:
            return found
        covers = await absence.covers_of(
            session, consultant_id=consultant_id, day=now.astimezone(self.config.tz).date()
        )
        return access(
            roles=actor.roles,
            consultant_id=consultant_id,
            owner_id=praktik.consultant_id,
            team_id=praktik.team_id,
            covers=covers,
        )

    async def _as_stand_in(
        self,
        session: AsyncSession,
        actor: Actor,
        consultant: Consultant | None,
        praktik: Praktik,
        now: dt.datetime,
    ) -> dict[str, int]:
        """Audit detail when the actor acts on `praktik` as a stand-in: for whom, and the
        absence (ids); empty otherwise."""
        found = await self._access(session, actor, consultant, praktik, now)
        if found is None or found.cover is None:
            return {}
        return {"stand_in_for": found.cover.owner_id, "absence": found.cover.absence_id}

    async def _store(
        self,
        session: AsyncSession,
        conversation: Conversation,
        actor: Actor,
        consultant: Consultant,
        flow: Flow,
        turn: Turn,
        praktik: Praktik | None,
        now: dt.datetime,
        reply: Reply,
        source_key: str,
    ) -> None:
        assert consultant.id is not None
        if turn.effects and conversation.praktik_id is not None:
            # At saving, once more: the effects act on the praktik in the actor's name.
            allowed = await self._accessible_praktik(
                session, actor, consultant, conversation.praktik_id, now=now, lock=True
            )
            if allowed is None:
                flow_reply = await self._revoke(session, actor, conversation, flow)
                reply.messages[:] = flow_reply.messages
                reply.finished = reply.refused = True
                reply.prompt = None
                return
        assert conversation.id is not None
        queued = self.prompt_refs.waiting(
            conversation_id=conversation.id, asked_at=conversation.last_activity
        )
        if queued is not None:  # the last question's ts, not in the row yet
            conversation.prompt_ref = queued
        await queries.store_turn(
            session,
            conversation=conversation,
            flow_version=flow.version,
            state=turn.state.model_dump(mode="json"),
            step=turn.prompt.step_id if turn.prompt else None,
            prompt_text=turn.prompt.text if turn.prompt else None,
            status=turn.state.status,
            last_activity=now,
        )
        reply.asked_at = now
        for event in turn.audit:  # e.g. special-category warnings: counted, no content
            await queries.audit(
                session,
                actor=consultant.user_key,
                action=event.action,
                praktik_id=conversation.praktik_id,
                detail={"flow": flow.id, "step": event.step_id},
            )
        for index, answer in enumerate(turn.answers):
            await queries.log_answer(
                session,
                conversation=conversation,
                consultant_id=consultant.id,
                step_id=answer.step_id,
                question=answer.question,
                value=answer.value,
                display=answer.display,
                source_key=f"{source_key}#{index}",
            )
        reply.previous_prompt_ref = conversation.prompt_ref
        if len(turn.answers) == 1:
            reply.answered_display = turn.answers[-1].display
            reply.answered_question = turn.answers[-1].question
        elif turn.answers:  # several answers from one message: all of them, labelled
            reply.answered_question = turn.answers[0].question
            reply.answered_display = "\n".join(f"{a.label}: {a.display}" for a in turn.answers)
        reply.messages.extend(turn.messages)
        run = EffectRun(
            session=session,
            config=self.config,
            conversation=conversation,
            consultant_id=consultant.id,
            team_id=consultant.team_id,
            praktik=praktik,
            now=now,
            flows=self.flows,
        )
        for effect in turn.effects:
            if run.correction:  # it ran when the conversation was saved: redo or leave it
                redo = CORRECTIONS[effect.name].redo
                if redo is not None:
                    await redo(run, effect.payload)
            else:
                await EFFECTS[effect.name](run, effect.payload)
        if turn.effects and run.praktik is not None:
            stand_in = (
                await self._as_stand_in(session, actor, consultant, praktik, now)
                if praktik is not None
                else {}
            )
            await queries.audit(
                session,
                actor=consultant.user_key,
                action="create" if praktik is None else "change",
                praktik_id=run.praktik.id,
                detail={"flow": flow.id, "effects": [e.name for e in turn.effects], **stand_in},
            )
            assert conversation.id is not None
            reply.proposal = await risk_review.review(
                session,
                config=self.config,
                praktik=run.praktik,
                root_id=conversation.corrects_id or conversation.id,
                correction=run.correction,
                signals=risk_review.answer_signals(flow.id, turn.state.answers) + run.signals,
                now=now,
            )
            if run.correction:
                reply.messages.append(await self._versions(session, conversation, flow, actor))
        reply.messages.extend(run.lines)
        reply.notes = run.notes
        reply.guide = run.guide
        reply.prompt = turn.prompt
        reply.conversation_id = conversation.id
        reply.flow_id = flow.id
        reply.praktik_id = run.praktik.id if run.praktik else conversation.praktik_id
        if turn.finished:
            reply.finished = True
            await queries.close_conversation(
                session, conversation=conversation, status=turn.state.status
            )
            saved = turn.state.status == "done" and reply.praktik_id is not None
            if saved and self._correctable_steps(flow, turn.state):
                reply.correctable_id = conversation.corrects_id or conversation.id
        await session.flush()
