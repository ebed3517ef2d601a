"""Airflow metadata databases on the test PostgreSQL server, migrated once and copied.

``airflow db migrate`` costs a new Airflow process (10 to 20 seconds on a busy 2-core machine) for every
deployment. On a new database it creates every table from the models (with those of the database managers
of the installed providers: FAB's tables whichever auth manager is configured), adds the default pool and
writes the log filename template; none of that depends on the deployment, so a database copied from one
migrated database (``CREATE DATABASE ... TEMPLATE``, a file copy inside the server) is the database a
migration would have made.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.support.airflow_env import base_env, migrate
from tests.support.pgserver import PostgresServer

TEMPLATE = "airflow_template"


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg2://")


def migrated_database(server: PostgresServer, name: str) -> str:
    """Database ``name`` on ``server``, already migrated; returns its SQLAlchemy URL. Deployments on it
    are made with ``migrated=True``."""
    if TEMPLATE not in server.templates:
        url = sqlalchemy_url(server.create_database(TEMPLATE))
        with tempfile.TemporaryDirectory(prefix="openfn-test-template-") as home:
            migrate({**base_env(Path(home)), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url})
        server.templates.add(TEMPLATE)
    return sqlalchemy_url(server.create_database(name, template=TEMPLATE))
