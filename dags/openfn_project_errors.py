"""Airflow DAG file that defines no DAG: it fails to import when an OpenFn project is broken.

Airflow shows that failure under "DAG import errors" with every broken project's file, key path and
fix, while openfn_projects.py keeps loading all the projects that are fine.
"""

from openfn.builder import raise_project_errors

raise_project_errors()
