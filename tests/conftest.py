"""Shared test set-up. Fixtures live in tests/support/ and are registered here."""

from tests.support import airflow_env

# Before any test module imports Airflow: a private Airflow home for this session.
AIRFLOW_HOME = airflow_env.configure()

pytest_plugins = ["tests.support.fixtures"]
