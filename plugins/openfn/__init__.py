"""OpenFn on Airflow: OpenFn projects become Airflow DAGs; an inbox turns messages into runs.

The data flow follows the folders: readers (project files -> the typed model) -> model -> builder (model
-> neutral task graph -> DAGs) -> operators (thin Airflow operators) -> runtime (one runner contract per
language, state, operations) -> adaptors. runs.py is the run contract the inbox and the operators share.
Nothing here has side effects at import: every Airflow process imports this package.
"""
