"""The management API and the UI's API (logged-in Airflow users), readiness, error responses."""
