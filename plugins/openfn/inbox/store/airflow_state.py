"""What the plugin reads of Airflow's own tables: whether DAGs are paused, the Variables that hold cron
jobs' saved states (the UI measures them), and whether an inbox asset's event was recorded (watchers)."""

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


def asset_event_recorded(uri: str, message_id: str, handed_out_at: float) -> bool:
    """Whether Airflow stored an event of the asset ``uri`` carrying the inbox message ``message_id`` (in
    ``extra["payload"]``, where the triggerer puts a watcher's event), no earlier than a minute before the
    message was handed out (its clock is the database's, as the event's timestamp is)."""
    import datetime

    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    since = datetime.datetime.fromtimestamp(handed_out_at - 60, tz=datetime.timezone.utc)
    with create_session() as session:
        extras = session.scalars(
            sa.select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == uri, AssetEvent.timestamp >= since)
        )
        return any(((extra or {}).get("payload") or {}).get("message_id") == message_id for extra in extras)
