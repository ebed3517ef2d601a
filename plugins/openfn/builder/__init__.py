"""The one DAG builder: the typed model -> a neutral task graph (graph.py, pure) -> an Airflow DAG
(render.py, the only place operators are instantiated). dags.py serves the DAG files in ``dags/``."""

from openfn.builder.dags import ProjectLoadErrors, build_dag, build_dags, dags_for_this_parse, generate_dags, raise_project_errors

__all__ = ["ProjectLoadErrors", "build_dag", "build_dags", "dags_for_this_parse", "generate_dags", "raise_project_errors"]
