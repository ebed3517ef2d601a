# Airflow import errors of the OpenFn projects that cannot load
from openfn.builder import raise_project_errors; raise_project_errors()
