"""Test tiers, assigned at collection so that they follow a test wherever its module lives.

A test is in a slow tier if it carries one of ``SLOW_MARKERS`` (put on a module or a test by hand), or if it
uses a fixture of ``SLOW_FIXTURES`` (it then gets that fixture's marker here). Every other test gets the
``fast`` marker: ``make check`` runs ``-m fast``, ``make test`` runs every tier.
"""

from __future__ import annotations

import pytest

SLOW_MARKERS = ("postgres", "e2e", "browser", "distributed", "slow", "serial")
# fixture -> the marker a test that uses it (directly or through another fixture) gets
SLOW_FIXTURES = {
    "postgres_server": "postgres",  # the PostgreSQL server the harness starts
    "db": "slow",  # read helpers over DAG runs and XComs: the test runs DAGs (dag.test())
}


def assign(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in SLOW_FIXTURES.items():
            if fixture in used and item.get_closest_marker(marker) is None:
                item.add_marker(marker)
        if not any(item.get_closest_marker(marker) for marker in SLOW_MARKERS):
            item.add_marker("fast")
