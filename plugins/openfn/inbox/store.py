"""Storing a message: the message, one pending run per matched job and the 10-second-rule rows, in one
transaction, so a 202 always means all of it is on disk and a crash before commit means none of it is."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from openfn.inbox.db import Database, RawJson
from openfn.inbox.schema import PENDING, message_jobs, messages, runs


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

    def reply(self) -> dict:
        """The 202 reply of SPEC §6 (stored, so a retry with the same Idempotency-Key gets it again)."""
        return {
            "meta": {"message": "Data accepted and processing has begun.", "message_id": self.id},
            "data": [{"job": r.job, "dag_id": r.dag_id, "run_id": r.run_id} for r in self.runs],
            "errors": [],
        }


def dialect_insert(database: Database, table: sa.Table):
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(table)


def insert_runs(connection: Connection, database: Database, message_id: str, project: str, planned, source: str) -> None:
    if not planned:
        return
    connection.execute(
        sa.insert(runs).values(created_at=database.now()),
        [
            {"message_id": message_id, "project": project, "job": r.job, "dag_id": r.dag_id,
             "run_id": r.run_id, "source": source, "status": PENDING, "next_attempt_at": 0.0}
            for r in planned
        ],
    )  # fmt: skip


def store_message(connection: Connection, database: Database, message: NewMessage, reply_text: str) -> str | None:
    """Insert ``message`` and its runs. Returns None, or -- when its Idempotency-Key was used before --
    the first reply's text, having stored nothing."""
    row = {
        "id": message.id,
        "project": message.project,
        "received_at": message.received_at,
        "headers": json.dumps(message.headers, ensure_ascii=False),
        "body": RawJson(message.body_text),
        "idempotency_key": message.idempotency_key,
        "reply": reply_text,
    }
    if message.idempotency_key is None:
        connection.execute(sa.insert(messages).values(**row))
    else:
        statement = (
            dialect_insert(database, messages)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["project", "idempotency_key"])
            .returning(messages.c.seq)
        )
        if connection.execute(statement).first() is None:
            return connection.execute(
                sa.select(messages.c.reply).where(
                    messages.c.project == message.project, messages.c.idempotency_key == message.idempotency_key
                )
            ).scalar_one()
    insert_runs(connection, database, message.id, message.project, message.runs, "message")
    if message.runs:
        connection.execute(
            sa.insert(message_jobs).values(last_run_at=database.now()),
            [{"message_id": message.id, "job": r.job, "runs": 1} for r in message.runs],
        )
    return None
