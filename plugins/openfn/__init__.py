"""OpenFn on Airflow: OpenFn projects become Airflow DAGs; an inbox turns messages into runs.

The data flow follows the folders: spec (project.yaml -> typed objects) -> dagbuild (objects -> DAGs)
-> operators (thin Airflow operators) -> runtime (state, operations) -> adaptors.
Nothing here has side effects at import: every Airflow process imports this package.
"""
