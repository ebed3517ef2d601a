"""Airflow-native parts for hand-written DAGs that wait on the inbox: the inbox sensor, the inbox asset and
the trigger both use, the client of the api-server's watch API, and the checks made when a DAG is parsed.
The public names are re-exported by ``openfn.sdk``."""
