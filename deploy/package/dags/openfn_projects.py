# Airflow DAGs of the OpenFn projects in [openfn] jobs_dir
from openfn.builder import generate_dags; generate_dags(globals())
