"""What the UI's pages show of Airflow's own tables: whether DAGs are paused, and the Variables that hold
cron jobs' saved states (the UI measures them)."""

from __future__ import annotations

import sqlalchemy as sa


def variable_values(keys: list[str]) -> dict[str, str | None]:
    """key -> the value of each Airflow Variable among ``keys`` that exists (decrypted)."""
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    if not keys:
        return {}
    with create_session() as session:
        return {variable.key: variable.val for variable in session.scalars(sa.select(Variable).where(Variable.key.in_(keys)))}


def paused_dags(dag_ids: list[str]) -> dict[str, bool]:
    """dag_id -> is_paused, for the DAGs Airflow has parsed."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return dict(session.execute(sa.select(DagModel.dag_id, DagModel.is_paused).where(DagModel.dag_id.in_(dag_ids))).all())
