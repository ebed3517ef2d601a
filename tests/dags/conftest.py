from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def db():
    """Read helpers over the metadata DB: DAG runs, XComs, Variables."""
    from airflow.models import DagRun, Variable
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    class Reader:
        @staticmethod
        def xcom(dag_id: str, run_id: str, task_id: str = "run", key: str = "return_value"):
            with create_session() as session:
                row = session.query(XComModel).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, key=key).one_or_none()
                if row is None:
                    return None
                value = row.value
                return json.loads(value) if isinstance(value, str) else value

        @staticmethod
        def runs(dag_id: str) -> list:
            with create_session() as session:
                runs = session.query(DagRun).filter_by(dag_id=dag_id).order_by(DagRun.id).all()
                return [(r.run_id, r.state, r.conf) for r in runs]

        @staticmethod
        def variable(key: str):
            return Variable.get(key, default_var=None, deserialize_json=True)

        @staticmethod
        def task_states(dag_id: str, run_id: str) -> dict:
            from airflow.models import TaskInstance

            with create_session() as session:
                tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
                return {ti.task_id: ti.state for ti in tis}

    return Reader
