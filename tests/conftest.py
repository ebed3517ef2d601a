"""Shared test set-up. Fixtures live in tests/support/ and are registered here; tiers are assigned here."""

import pytest

from tests.support import airflow_env, tiers

# Before any test module imports Airflow: a private Airflow home for this session.
AIRFLOW_HOME = airflow_env.configure()

pytest_plugins = ["tests.support.fixtures"]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    tiers.assign(items)
