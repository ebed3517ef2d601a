"""Airflow DAG file: every OpenFn project under ``[openfn] jobs_dir`` becomes one DAG per job.

When a task starts, Airflow's parsing context names its DAG and only that DAG is built.
"""

from openfn.builder import dags_for_this_parse

globals().update(dags_for_this_parse())
