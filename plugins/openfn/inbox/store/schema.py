"""The plugin's tables in Airflow's metadata database, created on first use (Airflow's migrations do not
know them, so the plugin creates them itself, idempotently, on SQLite and PostgreSQL).

* ``openfn_message``: every accepted message, its headers (without credentials) and body (``jsonb`` with a
  GIN ``jsonb_path_ops`` index on PostgreSQL), and the reply it got (replayed for a repeated
  ``Idempotency-Key``); for a trigger that replies after completion, the run whose result answers it.
* ``openfn_run``: one row per run the inbox starts, with its final ``run_id``; ``pending`` until the
  dispatcher has created the Airflow DAG run (in the same transaction that marks it ``created``). The run's
  status is never copied here: it is read from Airflow's ``dag_run``. ``requested_by`` is the Airflow user
  who asked for a re-run or reprocessing (also the DAG run's triggering user); null for the inbox's own.
* ``openfn_message_job``: per message x job, when the last run was started and how many: the 10-second
  rule is one conditional write on this row.
* ``openfn_collection`` / ``openfn_collection_item``: each project's collections (Lightning's key-value
  stores) and their items; a value is the JSON text a job stored, kept as text. Items are paged in ``id``
  order (insertion order, as Lightning pages them); keys compare bytewise (``COLLATE "C"`` on PostgreSQL,
  so a key pattern's prefix uses the index).
* ``openfn_watcher``: per inbox sensor or inbox asset of a hand-written DAG, how far it has read the
  project's messages (``after_seq``) and the message handed out but not yet confirmed (``inflight_*``);
  ``openfn_watch_claim``: which message each sensor task instance was given (store/watchers.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from openfn.inbox.store.database import Database

metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only

messages = sa.Table(
    "openfn_message",
    metadata,
    sa.Column("seq", _ID, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("project", sa.String(250), nullable=False),
    sa.Column("received_at", sa.String(32), nullable=False),  # ISO 8601 UTC, as in state.request
    sa.Column("headers", sa.Text(), nullable=False),
    sa.Column("body", sa.Text().with_variant(JSONB(), "postgresql"), nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    # SHA-256 of the inbox URL's target and the body's bytes: a reused Idempotency-Key with another request is refused
    sa.Column("request_digest", sa.String(64)),
    sa.Column("reply", sa.Text(), nullable=False),
    sa.Column("trigger", sa.String(500)),  # '<workflow>/<trigger>': came through a workflow's webhook (None: the project inbox)
    # The run whose result the sender is answered with (a reply after completion): the job's key, or the
    # workflow's; None: answered at once. reply_flow: the flow and fail runs it starts are waited for too.
    sa.Column("reply_job", sa.String(250)),
    sa.Column("reply_flow", sa.Boolean()),
    sa.Column("erased_at", sa.Float()),  # set when body and headers were erased (data-protection request)
    sa.Column("erased_by", sa.String(512)),
    # erased while some of its runs were still going: the retention thread clears what they write when they finish
    sa.Column("erase_open", sa.Boolean()),
    sa.Column("erased_logs", sa.Integer()),  # task log files the erasure cleared
    sa.UniqueConstraint("project", "idempotency_key", name="openfn_message_idempotency_uq"),
    sa.Index("openfn_message_project_idx", "project", "seq"),
)
sa.Index(
    "openfn_message_body_idx", messages.c.body, postgresql_using="gin", postgresql_ops={"body": "jsonb_path_ops"}
).ddl_if(dialect="postgresql")

PENDING, CREATED, FAILED = "pending", "created", "failed"

runs = sa.Table(
    "openfn_run",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("project", sa.String(250), nullable=False),
    sa.Column("job", sa.String(250), nullable=False),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("run_id", sa.String(250), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # message | rerun | reprocess
    sa.Column("status", sa.String(10), nullable=False),  # pending | created | failed
    sa.Column("created_at", sa.Float(), nullable=False),  # database clock, Unix seconds
    sa.Column("dispatched_at", sa.Float()),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.Float(), nullable=False, server_default="0"),
    sa.Column("error", sa.Text()),
    sa.Column("requested_by", sa.String(512)),  # the Airflow user of a re-run or reprocessing
    sa.UniqueConstraint("dag_id", "run_id", name="openfn_run_dag_run_uq"),
    sa.Index("openfn_run_message_idx", "message_id"),
)
sa.Index(
    "openfn_run_pending_idx",
    runs.c.id,
    sqlite_where=runs.c.status == PENDING,
    postgresql_where=runs.c.status == PENDING,
)

message_jobs = sa.Table(
    "openfn_message_job",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("job", sa.String(250), primary_key=True),
    sa.Column("last_run_at", sa.Float(), nullable=False),  # database clock, Unix seconds
    sa.Column("runs", sa.Integer(), nullable=False),
)

collections = sa.Table(
    "openfn_collection",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(250), nullable=False),
    sa.Column("name", sa.String(250), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),  # ISO 8601 UTC with microseconds
    sa.Column("declared", sa.Boolean(), nullable=False, server_default=sa.false()),  # named in a project file
    sa.UniqueConstraint("project", "name", name="openfn_collection_name_uq"),
)

_KEY = sa.String(1000).with_variant(sa.String(1000, collation="C"), "postgresql")
collection_items = sa.Table(
    "openfn_collection_item",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("collection_id", _ID, sa.ForeignKey("openfn_collection.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", _KEY, nullable=False),
    sa.Column("value", sa.Text(), nullable=False),
    # ISO 8601 UTC, always 27 characters, so text order is time order on both databases
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("collection_id", "key", name="openfn_collection_item_key_uq"),
    sa.Index("openfn_collection_item_page_idx", "collection_id", "id"),
)

watchers = sa.Table(
    "openfn_watcher",
    metadata,
    sa.Column("name", sa.String(500), primary_key=True),  # 'sensor:<dag_id>.<task_id>' or 'asset:<uri>'
    sa.Column("project", sa.String(250), nullable=False),
    sa.Column("after_seq", _ID, nullable=False),  # every message up to this seq is delivered or did not match
    sa.Column("inflight_id", sa.String(36)),  # an asset's message handed to a trigger, not yet seen recorded
    sa.Column("inflight_seq", _ID),
    sa.Column("inflight_at", sa.Float()),  # database clock, Unix seconds
    sa.Column("inflight_owner", sa.String(100)),  # the trigger instance it was handed to
)

watch_claims = sa.Table(
    "openfn_watch_claim",
    metadata,
    sa.Column("watcher", sa.String(500), primary_key=True),
    sa.Column("consumer", sa.String(500), primary_key=True),  # a sensor's task instance: '<run_id>/<map_index>'
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("claimed_at", sa.Float(), nullable=False),
)

_SCHEMA_LOCK_KEY = 0x6F70656E666E  # "openfn": one advisory lock id, so api-servers create tables in turn


def ensure_schema(database: Database) -> None:
    """Create the tables and indexes that are missing; safe to call from many processes at once."""
    if getattr(database, "schema_ready", False):
        return
    with database.write() as connection:
        if database.dialect == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        metadata.create_all(connection, checkfirst=True)
        _add_missing_columns(connection)
    database.schema_ready = True


# Columns added after the first release: tables created before lack them (create_all adds no columns).
_ADDED_COLUMNS = [(runs, "requested_by"), (messages, "erased_at"), (messages, "erased_by"), (messages, "trigger"),
                  (messages, "reply_job"), (messages, "reply_flow"), (messages, "request_digest"),
                  (messages, "erase_open"), (messages, "erased_logs")]


def _add_missing_columns(connection) -> None:
    inspector = sa.inspect(connection)
    for table, name in _ADDED_COLUMNS:
        if name not in {column["name"] for column in inspector.get_columns(table.name)}:
            column = table.c[name]
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))
