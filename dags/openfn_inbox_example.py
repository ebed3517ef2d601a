"""Example of OpenFn parts in hand-written DAGs (README, "OpenFn in your own DAGs"), on the demo project:

* ``openfn_example_lab_result_wait``: started by hand, it waits (deferred, in the triggerer) for the demo
  project's next inbox message with ``"formID": "lab_result"``, then a JavaScript job tidies it;
* ``openfn_example_lab_result``: runs once per such message that is not a test (``"test": true``), through
  an inbox asset, and a Python job handles it.

Nothing is built when the demo project is not among the deployment's projects ([openfn] jobs_dir), nor
when a task of another DAG starts (Airflow's parsing context names the DAG it needs).
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, get_parsing_context

from openfn.readers.loader import project_files
from openfn.settings import get_settings

WAIT_DAG, ASSET_DAG = "openfn_example_lab_result_wait", "openfn_example_lab_result"
wanted = get_parsing_context().dag_id in (None, WAIT_DAG, ASSET_DAG)

if wanted and any(file.parent.name == "demo" for file in project_files(get_settings().jobs_dir)):
    from openfn.sdk import OpenFnInboxSensor, OpenFnJobOperator, openfn_inbox_asset

    LAB_RESULT = {"formID": "lab_result"}

    with DAG(WAIT_DAG, schedule=None, start_date=datetime.datetime(2026, 1, 1), catchup=False,
             tags=["openfn", "example"], doc_md=__doc__):  # fmt: skip
        wait = OpenFnInboxSensor(task_id="wait_for_lab_result", project="demo", criteria=LAB_RESULT, timeout=3600)
        tidy = OpenFnJobOperator(
            task_id="tidy",
            expression="fn(state => ({ ...state, data: { patient: state.data.patient, result: String(state.data.result).toUpperCase() } }));",
            adaptor="@openfn/language-common@3.3.4",
            input_task_id="wait_for_lab_result",
        )
        wait >> tidy

    with DAG(ASSET_DAG, schedule=[openfn_inbox_asset("demo", criteria=LAB_RESULT, exclusion={"test": True})],
             start_date=datetime.datetime(2026, 1, 1), catchup=False, tags=["openfn", "example"], doc_md=__doc__):  # fmt: skip
        OpenFnJobOperator(task_id="record", expression_file="demo/record_lab_result.py", adaptor="common")
