"""Storing a message: the message, one pending run per matched job and the 10-second-rule rows, in one
transaction, so a 202 always means all of it is on disk and a crash before commit means none of it is.
Many messages can share that transaction (see workers/writer.py): each is still all-or-nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from openfn.inbox.store.database import Database, RawJson
from openfn.inbox.store.schema import PENDING, message_jobs, messages, runs


@dataclass(frozen=True)
class PlannedRun:
    job: str
    dag_id: str
    run_id: str


@dataclass(frozen=True)
class NewMessage:
    id: str
    project: str
    received_at: str
    headers: dict[str, str]
    body_text: str
    idempotency_key: str | None
    runs: tuple[PlannedRun, ...]
    trigger: str | None = None  # '<workflow>/<trigger>' when a workflow's webhook received it
    reply_job: str | None = None  # the job (or workflow) whose run's result answers the sender (workers/replies.py)
    reply_flow: bool = False  # ... once the flow and fail runs it starts have finished too
    request_digest: str | None = None  # with an Idempotency-Key: what the key stands for (see request_digest())

    def reply(self) -> dict:
        """The 202 reply of SPEC §6 (stored, so a retry with the same Idempotency-Key gets it again)."""
        return {
            "meta": {"message": "Data accepted and processing has begun.", "message_id": self.id},
            "data": [{"job": r.job, "dag_id": r.dag_id, "run_id": r.run_id} for r in self.runs],
            "errors": [],
        }


@dataclass(frozen=True)
class Replay:
    """What an Idempotency-Key already stands for: the first request's reply, and its digest (None for a
    message stored before digests were kept: then any request with the key is taken as the same)."""

    reply: str
    digest: str | None

    def matches(self, digest: str | None) -> bool:
        return self.digest is None or digest is None or self.digest == digest


def request_digest(project: str, trigger: str | None, body: bytes | bytearray) -> str:
    """Identifies a request for its Idempotency-Key: the inbox it was sent to and the bytes of its body."""
    digest = hashlib.sha256(f"{project}\0{trigger or ''}\0".encode())
    digest.update(body)
    return digest.hexdigest()


def dialect_insert(database: Database, table: sa.Table):
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(table)


def insert_runs(connection: Connection, database: Database, message_id: str, project: str, planned, source: str,
                requested_by: str | None = None) -> None:
    if not planned:
        return
    connection.execute(
        sa.insert(runs).values(created_at=database.now()),
        [
            {"message_id": message_id, "project": project, "job": r.job, "dag_id": r.dag_id,
             "run_id": r.run_id, "source": source, "status": PENDING, "next_attempt_at": 0.0,
             "requested_by": requested_by}
            for r in planned
        ],
    )  # fmt: skip


def _row(message: NewMessage, reply_text: str) -> dict:
    return {
        "id": message.id,
        "project": message.project,
        "received_at": message.received_at,
        "headers": json.dumps(message.headers, ensure_ascii=False),
        "body": RawJson(message.body_text),
        "idempotency_key": message.idempotency_key,
        "request_digest": message.request_digest,
        "trigger": message.trigger,
        "reply": reply_text,
        "reply_job": message.reply_job,
        "reply_flow": message.reply_flow if message.reply_job else None,
    }


def _insert_keyed(connection: Connection, database: Database, message: NewMessage, reply_text: str) -> Replay | None:
    statement = (
        dialect_insert(database, messages)
        .values(**_row(message, reply_text))
        .on_conflict_do_nothing(index_elements=["project", "idempotency_key"])
        .returning(messages.c.seq)
    )
    if connection.execute(statement).first() is not None:
        return None
    first = connection.execute(
        sa.select(messages.c.reply, messages.c.request_digest).where(
            messages.c.project == message.project, messages.c.idempotency_key == message.idempotency_key
        )
    ).one()
    return Replay(first.reply, first.request_digest)


def store_messages(connection: Connection, database: Database, batch: list[tuple[NewMessage, str]]) -> list[Replay | None]:
    """Insert each message with its runs, in the caller's transaction, with one multi-row insert per table.

    Returns, per message, None (stored) or -- when its Idempotency-Key was used before, in an earlier
    transaction or earlier in this batch -- what the key already stands for (``Replay``), having stored
    nothing for it.
    """
    results: list[Replay | None] = []
    plain: list[dict] = []
    for message, reply_text in batch:  # in arrival order: plain rows are flushed before each keyed one
        if message.idempotency_key is None:
            plain.append(_row(message, reply_text))
            results.append(None)
            continue
        if plain:
            connection.execute(sa.insert(messages), plain)
            plain = []
        results.append(_insert_keyed(connection, database, message, reply_text))
    if plain:
        connection.execute(sa.insert(messages), plain)
    stored = [message for (message, _), result in zip(batch, results) if result is None and message.runs]
    if stored:
        connection.execute(
            sa.insert(runs).values(created_at=database.now()),
            [
                {"message_id": m.id, "project": m.project, "job": r.job, "dag_id": r.dag_id, "run_id": r.run_id,
                 "source": "message", "status": PENDING, "next_attempt_at": 0.0}
                for m in stored for r in m.runs
            ],
        )  # fmt: skip
        connection.execute(
            sa.insert(message_jobs).values(last_run_at=database.now()),
            [{"message_id": m.id, "job": r.job, "runs": 1} for m in stored for r in m.runs],
        )
    return results



def stored_reply_row(connection: Connection, message_id: str) -> sa.Row | None:
    """What answering a sender's ``GET .../messages/<id>`` needs: whose message it is, its stored 202, the job
    that answers it, whether it was erased."""
    return connection.execute(
        sa.select(messages.c.project, messages.c.trigger, messages.c.reply, messages.c.reply_job, messages.c.erased_at)
        .where(messages.c.id == message_id)
    ).first()  # fmt: skip
