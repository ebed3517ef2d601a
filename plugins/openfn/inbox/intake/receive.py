"""``POST /openfn/inbox/<token>``: token -> sender auth -> body -> strict JSON -> match -> store -> 202.

The token names a project's inbox (its message filters decide the runs) or one of its Lightning workflows'
webhooks (the message is one run of that workflow).

The reply is sent only after the message and its runs are committed (by the group writer, see workers/writer.py);
it is the stored reply, so a sender retrying with the same ``Idempotency-Key`` (or ``webhook-id``) gets
exactly the same answer. The event loop only does in-memory work: whatever may need the database (a token
or secret not cached yet) and large bodies go to a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from openfn.errors import (
    BodyTimeout,
    IdempotencyKeyReused,
    InboxBusy,
    InvalidBody,
    ResultErased,
    StoreUnavailable,
    TooManyAttempts,
    TriggerDisabled,
    UnknownInbox,
    UnknownResult,
)
from openfn.inbox.bodies.filter_shape import Shape
from openfn.inbox.bodies.json_parsing import parse_message
from openfn.inbox.catalog import InboxProject, Webhook
from openfn.inbox.intake.body_reader import read_limited
from openfn.inbox.intake.guard import credential_digest
from openfn.inbox.intake.senders import check_sender
from openfn.inbox.reply_answers import timeout_answer
from openfn.inbox.services import InboxServices
from openfn.inbox.store.messages import NewMessage, PlannedRun, request_digest, stored_reply_row
from openfn.inbox.store.tokens import STALE
from openfn.runs import message_run_id, new_message_id, utc_now_iso

log = logging.getLogger("openfn.inbox")

IDEMPOTENCY_HEADERS = ("idempotency-key", "webhook-id")
AFTER_COMPLETION = "after_completion"
MAX_KEY_LENGTH = 255
INLINE_BYTES = 32 * 1024  # bodies up to this size are parsed and matched on the event loop
NOTHING = Shape.of([])


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Target:
    """Where a message goes: a project's inbox (its filters decide the runs), or one of its workflows'
    webhooks (each message is one run of the workflow)."""

    project: InboxProject
    webhook: Webhook | None = None

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def replies_after_completion(self) -> bool:
        """Whether some messages here are answered with their run's result (workers/replies.py)."""
        if self.webhook is not None:
            return self.webhook.trigger.reply == AFTER_COMPLETION
        return self.project.replies_after_completion


def find_target(services: InboxServices, token: str) -> Target:
    snapshot = services.catalog.snapshot()
    name = services.tokens.find(token, snapshot.inboxes)
    if name is None:
        raise UnknownInbox()
    return Target(*snapshot.inboxes[name])


def _accept(target: Target, headers: Mapping[str, str], services: InboxServices) -> Target:
    check_sender(target.project.project, headers, services.secrets)  # the project's sender auth, for all its inboxes
    if target.webhook is not None and not target.webhook.trigger.enabled:
        raise TriggerDisabled(target.webhook.name)
    return target


def admit(services: InboxServices, token: str, headers: Mapping[str, str]) -> Target:
    """Where this request may post (may read tokens and secrets from the database)."""
    target = _accept(find_target(services, token), headers, services)
    services.ensure_started()
    return target


def admit_from_memory(services: InboxServices, token: str, headers: Mapping[str, str]) -> Target | None:
    """``admit`` when everything it needs is cached; None when it must run in a worker thread."""
    if not services.started or not services.catalog.fresh():
        return None  # (re)loading projects reads files: not on the event loop
    snapshot = services.catalog.snapshot()
    name = services.tokens.cached(token, snapshot.inboxes)
    if name is STALE:
        return None
    if name is None:
        raise UnknownInbox()
    target = Target(*snapshot.inboxes[name])
    if not services.secrets.ready_for(target.project.project):
        return None
    return _accept(target, headers, services)


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    for name in IDEMPOTENCY_HEADERS:
        value = headers.get(name)
        if value is not None:
            value = value.strip()
            if not value or len(value) > MAX_KEY_LENGTH:
                raise InvalidBody(
                    "invalid_idempotency_key",
                    f"The {name} header must be 1 to {MAX_KEY_LENGTH} characters long",
                    fix="Send a shorter key (a UUID works well), or none.",
                )
            return value
    return None


def plan_message(services: InboxServices, target: Target, raw: bytes | bytearray, headers: dict[str, str], key: str | None) -> NewMessage:
    """Check the body and decide its runs: everything a 202 promises, before anything is stored. A large
    body is not parsed whole: only what the project's filters look at is kept (see bodies/filter_shape.py)."""
    webhook = target.webhook
    shape = NOTHING if webhook is not None else target.project.shape  # a webhook matches nothing: it starts its workflow
    body, text = parse_message(raw, max_depth=services.settings.max_depth, shape=shape, large_bytes=services.protection.large_body_bytes)
    message_id = new_message_id()
    reply_job, reply_flow = None, False
    if webhook is not None:
        workflow = webhook.workflow
        planned = (PlannedRun(job=workflow.key, dag_id=workflow.dag_id, run_id=message_run_id(message_id, workflow.key, 1)),)
        if webhook.trigger.reply == AFTER_COMPLETION:
            reply_job = workflow.key
    else:
        jobs = target.project.matching_jobs(body)
        planned = tuple(PlannedRun(job=job.key, dag_id=job.dag_id, run_id=message_run_id(message_id, job.key, 1)) for job in jobs)
        # The sender is answered with the result of the first matching job (in file order) whose trigger says so.
        answering = next((job for job in jobs if getattr(job.trigger, "reply", None) == AFTER_COMPLETION), None)
        if answering is not None:
            reply_job, reply_flow = answering.key, answering.trigger.reply_after_flow
    return NewMessage(
        id=message_id,
        project=target.name,
        received_at=utc_now_iso(),
        headers=headers,
        body_text=text,
        idempotency_key=key,
        runs=planned,
        trigger=webhook.name if webhook is not None else None,
        reply_job=reply_job,
        reply_flow=reply_flow,
        request_digest=request_digest(target.name, webhook.name if webhook is not None else None, raw) if key is not None else None,
    )


async def admit_limited(services: InboxServices, token: str, headers: Mapping[str, str], client: str) -> Target:
    """``admit``, under the failed-attempts budget of ``client`` (see guard.py)."""
    digest = credential_digest(token, headers)
    wait = services.limiter.retry_after(client)
    if wait and not services.limiter.known(client, digest):
        raise TooManyAttempts(wait)
    try:
        target = admit_from_memory(services, token, headers)
        if target is None:
            target = await run_in_threadpool(admit, services, token, headers)
    except UnknownInbox:
        services.limiter.failed(client)
        raise
    services.limiter.succeeded(client, digest)
    return target


async def receive(services: InboxServices, token: str, headers: Mapping[str, str], raw_headers, chunks: AsyncIterator[bytes],
                  client: str = "", result_url: Callable[[str], str] = lambda message_id: "",
                  disconnected: Callable[[], Awaitable[None]] | None = None) -> Reply:
    """Handle one POST (``_receive``), counted in ``services.intake_in_flight`` until its message is stored
    or refused: while senders are being answered, the dispatcher yields the interpreter to them."""
    services.intake_in_flight.add(1)
    counted = True

    def stored() -> None:
        nonlocal counted
        if counted:
            services.intake_in_flight.add(-1)
            counted = False

    try:
        return await _receive(services, token, headers, raw_headers, chunks, client, result_url, disconnected, stored)
    finally:
        stored()


async def _receive(services: InboxServices, token: str, headers: Mapping[str, str], raw_headers, chunks: AsyncIterator[bytes],
                   client: str, result_url: Callable[[str], str], disconnected: Callable[[], Awaitable[None]] | None,
                   stored: Callable[[], None]) -> Reply:
    """Handle one POST. Raises an InboxError subclass for anything the sender must fix.

    ``result_url(message_id)``: where the sender of a message answered after completion gets its result
    later, should the run not finish in time; ``disconnected()`` returns when the sender has gone (it then
    no longer waits for the result)."""
    target = await admit_limited(services, token, headers, client)
    key = idempotency_key(headers)
    slot = services.body_slots.slot()
    try:
        seconds = services.protection.body_timeout_seconds
        try:
            async with asyncio.timeout(seconds):  # reading, and waiting for a large-body slot
                raw = await read_limited(chunks, headers, services.settings.max_body_bytes, inline=INLINE_BYTES, take_slot=slot.take)
        except TimeoutError:
            raise (InboxBusy() if slot.waiting else BodyTimeout(seconds)) from None
        stored_headers = services.header_policy.storable(raw_headers)
        if not slot.held:
            message = plan_message(services, target, raw, stored_headers, key)
        else:
            message = await run_in_threadpool(plan_message, services, target, raw, stored_headers, key)
        del raw  # the text in the message is all that is kept
        reply_text = json.dumps(message.reply(), separators=(",", ":"))
        try:
            first = await asyncio.wrap_future(services.writer.submit(message, reply_text))
        except SQLAlchemyError:
            raise StoreUnavailable() from None
    finally:
        slot.release()  # after the commit: a large body's memory is bounded until it is stored
        stored()  # a sender waiting for the result holds no claim on the interpreter while it waits
    if first is None:
        if message.reply_job is None:
            return Reply(202, reply_text)
        message_id = message.id
    else:  # the same Idempotency-Key again: the first message's reply, or its result
        if not first.matches(message.request_digest):
            raise IdempotencyKeyReused(key)  # another request under a used key: nothing was stored for it
        reply_text = first.reply
        if not target.replies_after_completion:
            return Reply(202, reply_text)
        message_id = json.loads(reply_text)["meta"]["message_id"]
    return await answer_after_completion(services, message_id, reply_text, result_url(message_id), wait=preferred_wait(headers),
                                         disconnected=disconnected)  # fmt: skip


def preferred_wait(headers: Mapping[str, str]) -> float | None:
    """The sender's ``Prefer: wait=<seconds>`` (RFC 7240): how long it is willing to wait, if it says."""
    for preference in (headers.get("prefer") or "").split(","):
        name, _, value = preference.partition("=")
        if name.strip().lower() == "wait":
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


def stored_reply(services: InboxServices, target: Target, message_id: str) -> str:
    """The stored 202 of a message this inbox took and answers after completion (reads the database)."""
    with services.database.read() as connection:
        row = stored_reply_row(connection, message_id)
    trigger = target.webhook.name if target.webhook is not None else None
    if row is None or row.project != target.name or row.trigger != trigger or row.reply_job is None:
        raise UnknownResult(message_id)
    if row.erased_at is not None:
        raise ResultErased(message_id)
    return row.reply


async def answer_after_completion(services: InboxServices, message_id: str, stored_reply: str, result_url: str,
                                  wait: float | None = None, disconnected: Callable[[], Awaitable[None]] | None = None) -> Reply:
    """The result of the message's run once it has finished, or, past the limit, its 202 and how to follow it.
    Waiting holds neither a thread nor a database connection (workers/replies.py), and ends when the sender leaves."""
    limit = services.inbox_settings.reply_timeout_seconds
    if wait is not None:
        limit = min(limit, wait)
    waiting = asyncio.ensure_future(services.replies.wait(message_id, limit))
    if disconnected is not None:
        gone = asyncio.ensure_future(disconnected())
        try:
            await asyncio.wait({waiting, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if not waiting.done():  # nobody is left to answer
            waiting.cancel()
            return Reply(202, stored_reply)
    answer = await waiting
    if answer is None:
        return Reply(202, timeout_answer(stored_reply, limit, result_url))
    if answer.kind == "result":
        return Reply(answer.status, answer.body, answer.headers)
    return Reply(202, stored_reply)  # not answered after completion (or gone meanwhile): its reply as stored
