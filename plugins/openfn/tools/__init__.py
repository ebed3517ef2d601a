"""Commands run by operators, not by Airflow components: ``openfn-airflow credentials`` and ``openfn-airflow
export`` (openfn/cli), which ``make credentials`` and ``make export`` call on a checkout."""
