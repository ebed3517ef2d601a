"""On SQLite the inbox shares one database file with every Airflow component. Its writes are serialised
and short, and the dispatcher pauses between batches, so a connection that writes the way Airflow's do
(pysqlite's deferred transactions, a busy timeout) always gets its turn: never "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time

from openfn.inbox.workers.dispatcher import Dispatcher
from openfn.inbox.store.schema import runs

import pytest
import sqlalchemy as sa

# 600 runs created under a concurrent writer whose busy timeout is 2 s: not beside other test sessions
pytestmark = [pytest.mark.slow, pytest.mark.serial]

AIRFLOW_LIKE_TIMEOUT = 2.0  # seconds; Airflow's connections wait 5


def test_inbox_and_dispatcher_never_lock_out_airflow_writers(inbox):
    database = inbox.runtime.database
    path = database.engine.url.database
    for n in range(150):  # a backlog: 300 runs to create
        inbox.post("clinic", {"form": "case_referral", "case_id": f"backlog-{n}", "amount": n})
    stop = threading.Event()
    outcomes = {"writes": 0, "locked": 0}

    def airflow_like_writer() -> None:
        connection = sqlite3.connect(path, timeout=AIRFLOW_LIKE_TIMEOUT)  # pysqlite's implicit DEFERRED BEGIN
        connection.execute("CREATE TABLE IF NOT EXISTS airflow_like_heartbeat (id INTEGER PRIMARY KEY, beat REAL)")
        connection.commit()
        while not stop.is_set():
            try:
                connection.execute("SELECT count(*) FROM dag_run").fetchone()  # read, then write: as a heartbeat does
                connection.execute("INSERT OR REPLACE INTO airflow_like_heartbeat (id, beat) VALUES (1, ?)", (time.time(),))
                connection.commit()
                outcomes["writes"] += 1
            except sqlite3.OperationalError as error:
                assert "locked" in str(error), error
                outcomes["locked"] += 1
                connection.rollback()
            time.sleep(0.01)
        connection.close()

    def sender() -> None:
        for n in range(150):
            inbox.post("clinic", {"form": "case_referral", "case_id": f"burst-{n}", "amount": n})

    writer = threading.Thread(target=airflow_like_writer)
    writer.start()
    dispatcher = Dispatcher(database, sweep_seconds=0.2, intake_busy=lambda: inbox.runtime.writer.busy())
    dispatcher.start()
    burst = threading.Thread(target=sender)
    burst.start()
    try:
        burst.join(120)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with database.read() as connection:
                if connection.execute(sa.select(sa.func.count()).where(runs.c.status == "pending")).scalar() == 0:
                    break
            time.sleep(0.2)
    finally:
        dispatcher.stop()
        stop.set()
        writer.join(30)
    with database.read() as connection:
        statuses = dict(connection.execute(sa.select(runs.c.status, sa.func.count()).group_by(runs.c.status)).all())
    assert statuses == {"created": 600}
    assert outcomes["locked"] == 0
    assert outcomes["writes"] > 20
