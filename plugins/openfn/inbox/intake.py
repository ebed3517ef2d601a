"""``POST /openfn/inbox/<token>``: token -> sender auth -> body -> strict JSON -> match -> store -> 202.

The reply is sent only after the message and its runs are committed; it is the stored reply, so a sender
retrying with the same ``Idempotency-Key`` (or ``webhook-id``) gets exactly the same answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from openfn.errors import InvalidBody, StoreUnavailable, UnknownInbox
from openfn.inbox.catalog import InboxProject
from openfn.inbox.body import read_limited
from openfn.inbox.jsonbody import parse_body
from openfn.inbox.naming import message_run_id, new_message_id, utc_now_iso
from openfn.inbox.runtime import InboxRuntime
from openfn.inbox.senders import check_sender, storable_headers
from openfn.inbox.store import NewMessage, PlannedRun, store_message

log = logging.getLogger("openfn.inbox")

IDEMPOTENCY_HEADERS = ("idempotency-key", "webhook-id")
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


def find_project(runtime: InboxRuntime, token: str) -> InboxProject:
    snapshot = runtime.catalog.snapshot()
    name = runtime.tokens.find(token, snapshot.projects)
    if name is None:
        raise UnknownInbox()
    return snapshot.projects[name]


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


def plan_message(inbox_project: InboxProject, body, text: str, headers: dict[str, str], key: str | None) -> NewMessage:
    message_id = new_message_id()
    planned = tuple(
        PlannedRun(job=job.key, dag_id=job.dag_id, run_id=message_run_id(message_id, job.key, 1))
        for job in inbox_project.matching_jobs(body)
    )
    return NewMessage(
        id=message_id,
        project=inbox_project.name,
        received_at=utc_now_iso(),
        headers=headers,
        body_text=text,
        idempotency_key=key,
        runs=planned,
    )


def _store(runtime: InboxRuntime, message: NewMessage) -> Reply:
    reply_text = json.dumps(message.reply(), separators=(",", ":"))
    try:
        database = runtime.database
        with database.write() as connection:
            first = store_message(connection, database, message, reply_text)
    except SQLAlchemyError:
        log.exception("Cannot store a message for project %s", message.project)
        raise StoreUnavailable() from None
    if first is not None:
        return Reply(202, first)
    if message.runs:
        runtime.wake_dispatcher()
    return Reply(202, reply_text)


def admit(runtime: InboxRuntime, token: str, headers: Mapping[str, str]) -> InboxProject:
    """The project this request may post to (tokens and secrets may need the database: not on the loop)."""
    inbox_project = find_project(runtime, token)
    check_sender(inbox_project.project, headers, runtime.secrets)
    runtime.ensure_started()
    return inbox_project


def accept(runtime: InboxRuntime, inbox_project: InboxProject, raw: bytes, headers: dict[str, str], key: str | None) -> Reply:
    body, text = parse_body(raw, max_depth=runtime.settings.max_depth)
    return _store(runtime, plan_message(inbox_project, body, text, headers, key))


async def receive(runtime: InboxRuntime, token: str, headers: Mapping[str, str], raw_headers, chunks: AsyncIterator[bytes]) -> Reply:
    """Handle one POST. Raises an InboxError subclass for anything the sender must fix."""
    inbox_project = await run_in_threadpool(admit, runtime, token, headers)
    key = idempotency_key(headers)
    raw = await read_limited(chunks, headers, runtime.settings.max_body_bytes)
    return await run_in_threadpool(accept, runtime, inbox_project, raw, storable_headers(raw_headers), key)
