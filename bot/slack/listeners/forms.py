"""Forms: any conversation filled in as a Slack modal, with the same engine, validators
and transaction as its thread.

A form is another surface for a conversation that lives, as always, in a thread of the
consultant's own DM (its key is the modal's private_metadata; the answers are in the
database). It is opened with 'Udfyld som formular' — under a question in the thread (the
conversation so far), or on Home (a new conversation, in a new thread) — and is opened at
once with a loading view, because a trigger_id is valid for three seconds and once.

- An input other questions read dispatches its change: the valid answers are saved and the
  form is redrawn (`views.update`) with the steps, options and texts that follow.
- Submitting saves every valid answer and answers the rest with Slack's field errors
  (`response_action: errors`, the validators' own Danish messages); a complete form is
  replaced by the summary (`response_action: update`, the stack stays one view deep),
  whose Gem saves exactly as the thread's Gem (effects, case note, audit).
- Closing the form saves what is valid and continues in the thread: the question the
  conversation waits on is posted there, with what could not be kept.

Every interaction is checked as the thread's are: the conversation must be in the actor's
own DM (`in_own_dm`), and the service checks ownership and access on every save.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.blocks import ids
from bot.blocks.kit import fallback_text, sections
from bot.blocks.payloads import clicked_message, row_id
from bot.conversations import FormInput, Reply
from bot.slack.deps import SlackDeps, conversation_key
from bot.slack.forms import (
    CLOSED,
    PARENT,
    SAVED_NOTE,
    form_values,
    form_view,
    in_form_blocks,
    info_view,
    key_parts,
    loading_view,
    not_saved_lines,
    summary_view,
)
from bot.slack.forms import MORE as FORM_MORE
from bot.slack.threads import in_own_dm, open_dm, show_reply
from dialogues.state import UserInput

log = logging.getLogger(__name__)

Body = dict[str, Any]


async def open_loading(client: AsyncWebClient, body: Body) -> str | None:
    """Open the modal at once (the trigger_id is valid for 3 s and once): a loading view,
    updated when the form is ready. The view's id, or None when Slack refused."""
    trigger_id = body.get("trigger_id")
    if not isinstance(trigger_id, str) or not trigger_id:
        return None
    try:
        response = await client.views_open(trigger_id=trigger_id, view=loading_view())
    except SlackApiError as exc:
        log.warning("could not open a form: %s", exc.response.get("error"))
        return None
    return str((response.get("view") or {}).get("id") or "") or None


async def update(
    client: AsyncWebClient, view_id: str, view: dict[str, Any], view_hash: str | None = None
) -> None:
    """Replace an open view; a newer change of the same view (hash) or a closed one wins."""
    try:
        if view_hash:
            await client.views_update(view_id=view_id, view=view, hash=view_hash)
        else:
            await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("form view not updated: %s", exc.response.get("error"))


def form_or_summary(
    reply: Reply, key: str, *, message: str | None = None, summary: bool = True
) -> dict[str, Any]:
    """The view that shows where the conversation is: its form, its summary (not while
    the form is being filled in: that comes with 'Videre'), or why neither."""
    form = reply.form
    if form is None:
        return info_view("praktikbot", reply.messages or [messages.NO_CONVERSATION])
    if form.complete and summary:
        return summary_view(form, key=key)
    return form_view(form, key=key, notes=reply.form_errors, message=message)


async def supersede(client: AsyncWebClient, *, channel: str, reply: Reply) -> None:
    """Mark the thread's question answered in the form (once: the service forgets it)."""
    if reply.previous_prompt_ref is None or reply.previous_question is None:
        return
    try:
        await client.chat_update(
            channel=channel,
            ts=reply.previous_prompt_ref,
            blocks=in_form_blocks(reply.previous_question),
            text=fallback_text(reply.previous_question),
        )
    except SlackApiError as exc:  # the message may be gone; nothing depends on it
        log.info("thread question not marked: %s", exc.response.get("error"))


class FormRequest:
    """The parts of a view interaction the listeners read, checked."""

    def __init__(self, body: Body) -> None:
        view = body.get("view") or {}
        self.user_id = str((body.get("user") or {}).get("id") or "")
        self.view: dict[str, Any] = view if isinstance(view, dict) else {}
        self.view_id = str(self.view.get("id") or "")
        self.hash = str(self.view.get("hash") or "")
        self.key = str(self.view.get("private_metadata") or "")
        self.where = key_parts(self.key)

    def input_blocks(self) -> set[str]:
        blocks = self.view.get("blocks")
        return {
            str(b.get("block_id"))
            for b in (blocks if isinstance(blocks, list) else [])
            if isinstance(b, dict) and b.get("type") == "input"
        }


async def _own(deps: SlackDeps, client: AsyncWebClient, request: FormRequest, source: str) -> bool:
    """The form's conversation is in the actor's own DM (refused and audited otherwise)."""
    if request.where is None or not request.user_id:
        return False
    channel, thread_ts = request.where
    return await in_own_dm(
        deps,
        client,
        user_id=request.user_id,
        channel=channel,
        thread_ts=thread_ts,
        source_key=source,
    )


async def _is_own_dm(deps: SlackDeps, client: AsyncWebClient, request: FormRequest) -> bool:
    """Only looks (for an answer that must come before the refusal is recorded)."""
    if request.where is None or not request.user_id:
        return False
    return await deps.own_dm(client, request.user_id) == request.where[0]


async def save(deps: SlackDeps, request: FormRequest, *, submit: bool, source_key: str) -> Reply:
    values, keys, _ = form_values(request.view)
    return await deps.service.answer(
        actor=await deps.actor(request.user_id),
        key=request.key,
        inp=FormInput(values=values, options_keys=keys, submit=submit),
        source_key=source_key,
        now=deps.clock(),
    )


async def start_form(
    deps: SlackDeps,
    client: AsyncWebClient,
    *,
    user_id: str,
    flow_id: str,
    praktik_id: int | None,
    source_key: str,
) -> tuple[str | None, Reply | None]:
    """Start the flow for a form in a new thread of the actor's own DM — or, when the same
    flow about the same praktik is open, continue that one. (key, reply) of it; the key
    is None when nothing was started (the reply says why), both None for a repeat."""
    flow = deps.flows.get(flow_id)
    if flow is None:
        return None, Reply(messages=[messages.UNKNOWN_FLOW])
    if flow.needs_praktik and praktik_id is None:
        return None, Reply(messages=[messages.NEEDS_PRAKTIK])
    channel = await open_dm(deps, client, user_id)
    if not await deps.service.claim(f"{source_key}:thread"):
        return None, None  # a repeated delivery: its thread is already there
    actor = await deps.actor(user_id)
    already = await deps.service.open_elsewhere(
        actor=actor, flow_id=flow_id, praktik_id=praktik_id, now=deps.clock()
    )
    if already is not None and already.open_key is not None:
        return already.open_key, None
    parent = await client.chat_postMessage(
        channel=channel,
        text=flow.title,
        blocks=sections(PARENT.format(title=flow.title), escaped=True),
    )
    thread_ts = str(parent["ts"])
    key = conversation_key(channel, thread_ts)
    reply = await deps.service.start(
        actor=actor,
        key=key,
        flow_id=flow_id,
        praktik_id=praktik_id,
        source_key=source_key,
        now=deps.clock(),
        channel=channel,
        thread_ts=thread_ts,
        resume_open=True,
    )
    if reply.conversation_id is None or reply.already_open:
        await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
        return (reply.open_key if reply.already_open else None), reply
    return key, reply


def _start_target(action: dict[str, Any]) -> tuple[str, int | None] | None:
    """(flow, praktik id) of a Home form button or select; None for a forged value."""
    raw = action.get("value")
    if raw is None:
        raw = (action.get("selected_option") or {}).get("value")
    try:
        value = json.loads(str(raw))
        flow_id, praktik = str(value["flow"]), value.get("praktik")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    praktik_id = row_id(praktik)
    if praktik_id is None and praktik is not None:
        return None
    return flow_id, praktik_id


def register(app: AsyncApp, deps: SlackDeps) -> None:
    @app.action(ids.FORM_OPEN)
    async def on_open(
        ack: AsyncAck, body: Body, action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """'Udfyld som formular' under a question: the conversation so far, as a form."""
        await ack()
        view_id = await open_loading(client, body)
        channel, ts, thread_ts = clicked_message(body)
        user_id = str(body["user"]["id"])
        if view_id is None or not channel or not ts or not thread_ts:
            return
        source_key = f"slack:formopen:{channel}:{ts}:{action.get('action_ts')}"
        if not await in_own_dm(
            deps,
            client,
            user_id=user_id,
            channel=channel,
            thread_ts=thread_ts,
            source_key=source_key,
        ):
            await update(client, view_id, info_view("praktikbot", [messages.NOT_YOUR_CONVERSATION]))
            return
        key = conversation_key(channel, thread_ts)
        reply = await deps.service.current(
            actor=await deps.actor(user_id), key=key, now=deps.clock()
        )
        if reply is None:
            reply = Reply(messages=[messages.NO_CONVERSATION], no_conversation=True)
        await update(client, view_id, form_or_summary(reply, key))

    @app.action(re.compile(rf"^{ids.FORM_START}:"))
    async def on_start(
        ack: AsyncAck, body: Body, action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Home's 'Udfyld som formular': a new conversation of the flow, as a form."""
        await ack()
        view_id = await open_loading(client, body)
        target = _start_target(action)
        if view_id is None or target is None:
            return
        flow_id, praktik_id = target
        user_id = str(body["user"]["id"])
        key, reply = await start_form(
            deps,
            client,
            user_id=user_id,
            flow_id=flow_id,
            praktik_id=praktik_id,
            source_key=f"slack:formstart:{user_id}:{action.get('action_ts')}",
        )
        if key is None:
            lines = reply.messages if reply is not None else [messages.NO_CONVERSATION]
            await update(client, view_id, info_view("praktikbot", lines))
            return
        current = await deps.service.current(
            actor=await deps.actor(user_id), key=key, now=deps.clock()
        )
        await update(client, view_id, form_or_summary(current or Reply(), key))

    @app.action(ids.FORM_DISPATCH)
    async def on_change(
        ack: AsyncAck, body: Body, action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """An answer other questions read changed: save what is valid, redraw the form."""
        await ack()
        request = FormRequest(body)
        if request.view.get("callback_id") != ids.FORM_VIEW or request.where is None:
            return
        source_key = f"slack:formact:{request.view_id}:{action.get('action_ts')}"
        if not await _own(deps, client, request, source_key):
            return
        reply = await save(deps, request, submit=False, source_key=source_key)
        if reply.duplicate:
            return
        view = form_or_summary(reply, request.key, summary=False)
        await update(client, request.view_id, view, request.hash)
        await supersede(client, channel=request.where[0], reply=reply)

    @app.action(ids.FORM_FIELD)
    async def on_field(ack: AsyncAck) -> None:
        await ack()  # read when the form is submitted or closed

    @app.action(ids.FORM_EDIT)
    async def on_edit(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """'Ret svar' in the summary: back to the form, every answer in it."""
        await ack()
        request = FormRequest(body)
        if request.view.get("callback_id") != ids.FORM_SUMMARY or request.where is None:
            return
        if not await _is_own_dm(deps, request=request, client=client):
            return
        reply = await deps.service.current(
            actor=await deps.actor(request.user_id), key=request.key, now=deps.clock()
        )
        if reply is None or reply.form is None:
            view = info_view("praktikbot", [messages.NO_CONVERSATION])
        else:
            view = form_view(reply.form, key=request.key)
        await update(client, request.view_id, view, request.hash)

    @app.view(ids.FORM_VIEW)
    async def on_submit(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """The form sent: field errors, more questions, or the summary."""
        request = FormRequest(body)
        # Each submission has a trigger of its own (the view and its hash stay the same
        # while its field errors are corrected).
        source_key = f"slack:formsend:{request.view_id}:{body.get('trigger_id')}"
        if not await _is_own_dm(deps, client, request):
            await ack(
                response_action="update",
                view=info_view("praktikbot", [messages.NOT_YOUR_CONVERSATION]),
            )
            await _own(deps, client, request, source_key)  # refused, audited, told
            return
        reply = await save(deps, request, submit=True, source_key=source_key)
        if reply.duplicate:
            reply = (
                await deps.service.current(
                    actor=await deps.actor(request.user_id), key=request.key, now=deps.clock()
                )
                or Reply()
            )
        # Field errors name input blocks of the submitted view (Slack refuses others).
        _, _, blocks = form_values(request.view)
        inputs = request.input_blocks()
        errors = {blocks[f]: m for f, m in reply.form_errors.items() if blocks.get(f) in inputs}
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            more = FORM_MORE if reply.form is not None and not reply.form.complete else None
            await ack(
                response_action="update", view=form_or_summary(reply, request.key, message=more)
            )
        assert request.where is not None
        await supersede(client, channel=request.where[0], reply=reply)
        if reply.form is None and not reply.duplicate:
            channel, thread_ts = request.where
            await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)

    @app.view(ids.FORM_SUMMARY)
    async def on_save(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """Gem in the summary: saved exactly as the thread's Gem saves."""
        request = FormRequest(body)
        source_key = f"slack:formsave:{request.view_id}:{body.get('trigger_id')}"
        if not await _is_own_dm(deps, client, request):
            await ack(
                response_action="update",
                view=info_view("praktikbot", [messages.NOT_YOUR_CONVERSATION]),
            )
            await _own(deps, client, request, source_key)
            return
        reply = await deps.service.answer(
            actor=await deps.actor(request.user_id),
            key=request.key,
            inp=UserInput(command="confirm"),
            source_key=source_key,
            now=deps.clock(),
        )
        if reply.duplicate:
            await ack()
            return
        title = str((request.view.get("title") or {}).get("text") or "praktikbot")
        if reply.finished:
            await ack(
                response_action="update",
                view=info_view(title, reply.messages, note=None if reply.refused else SAVED_NOTE),
            )
        else:  # the summary was not current (changed in the thread): show where it is
            current = await deps.service.current(
                actor=await deps.actor(request.user_id), key=request.key, now=deps.clock()
            )
            await ack(response_action="update", view=form_or_summary(current or reply, request.key))
            return
        assert request.where is not None
        channel, thread_ts = request.where
        await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)

    @app.view_closed(ids.FORM_VIEW)
    async def on_form_closed(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        """Closed: keep what is valid, continue in the thread."""
        await ack()
        request = FormRequest(body)
        source_key = f"slack:formclose:{request.view_id}:{request.hash}"
        if not await _own(deps, client, request, source_key):
            return
        reply = await save(deps, request, submit=False, source_key=source_key)
        await continue_in_thread(deps, client, request, reply)

    @app.view_closed(ids.FORM_SUMMARY)
    async def on_summary_closed(ack: AsyncAck, body: Body, client: AsyncWebClient) -> None:
        await ack()
        request = FormRequest(body)
        source_key = f"slack:formclose:{request.view_id}:{request.hash}"
        if not await _own(deps, client, request, source_key):
            return
        if not await deps.service.claim(source_key):
            return
        reply = await deps.service.current(
            actor=await deps.actor(request.user_id), key=request.key, now=deps.clock()
        )
        if reply is not None:
            await continue_in_thread(deps, client, request, reply)


async def continue_in_thread(
    deps: SlackDeps, client: AsyncWebClient, request: FormRequest, reply: Reply
) -> None:
    """After the form closed: the question the conversation waits on, in its thread."""
    if reply.duplicate or request.where is None:
        return
    channel, thread_ts = request.where
    lines = [CLOSED] if reply.prompt is not None else []
    lines += not_saved_lines(reply.form, reply.form_errors)
    reply.messages[:0] = lines
    await show_reply(deps, client, channel=channel, thread_ts=thread_ts, reply=reply)
