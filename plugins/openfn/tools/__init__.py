"""Commands run by operators from the repository (``make credentials``), not by Airflow components."""
