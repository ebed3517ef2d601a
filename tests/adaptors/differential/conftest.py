"""The differential suite's set-up: one local API, the JavaScript outcomes (live, or from js_results.json where
Node.js is missing), and a summary table of agreement per adaptor at the end of the run."""

from __future__ import annotations

import json

import pytest

from tests.adaptors.differential import harness
from tests.adaptors.differential.api import route
from tests.adaptors.differential.cases import ALL_CASES
from tests.adaptors.servers import ApiServer

RESULTS: dict[str, tuple[str, str]] = {}  # case id -> (adaptor, 'agrees' | 'deliberate' | 'differs')
NOTES: list[str] = []


def pytest_addoption(parser):
    group = parser.getgroup("differential")
    group.addoption("--record-js", action="store_true", help="rewrite tests/adaptors/differential/js_results.json from a live Node.js run")
    group.addoption("--js-recorded", action="store_true", help="compare with js_results.json even where Node.js is installed")


@pytest.fixture(scope="session")
def api():
    with ApiServer(route) as server:
        yield server


@pytest.fixture(scope="session")
def recorded() -> dict:
    return json.loads(harness.RECORD.read_text()) if harness.RECORD.exists() else {"outcomes": {}}


@pytest.fixture(scope="session")
def js_outcomes(request, api, recorded) -> dict:
    """Outcomes of every case on the JavaScript side, by case id, and where they came from."""
    if request.config.getoption("--js-recorded") or harness.node() is None:
        why = "--js-recorded was given" if request.config.getoption("--js-recorded") else "Node.js or js/node_modules is missing"
        NOTES.append(f"{why}: the JavaScript side was read from tests/adaptors/differential/js_results.json, not run.")
        return {"source": "recorded", "outcomes": recorded["outcomes"]}
    api.clear()
    raw: dict[str, dict] = {}
    for adaptor in sorted({case.adaptor for case in ALL_CASES}):
        raw.update(harness.run_js(ALL_CASES, adaptor, api.url))
    requests = harness.split_by_case(list(api.received))
    by_id = {case.id: case for case in ALL_CASES}
    outcomes = {case_id: harness.outcome(result, requests.get(case_id, []), api.url, by_id[case_id]) for case_id, result in raw.items()}
    if request.config.getoption("--record-js"):
        harness.RECORD.write_text(json.dumps({
            "about": "What OpenFn's JavaScript adaptors did with each case of tests/adaptors/differential/cases; "
                     "regenerate with: .venv/bin/python -m pytest tests/adaptors/differential --record-js -p no:cacheprovider",
            "packages": {adaptor: f"@openfn/{name.replace('_', '@')}" for adaptor, name in harness.PACKAGES.items()},
            "outcomes": outcomes,
        }, indent=1, sort_keys=True) + "\n")  # fmt: skip
        NOTES.append("js_results.json was rewritten from this run.")
    return {"source": "live", "outcomes": outcomes}


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("differential: Python adaptors against OpenFn's JavaScript packages")
    for note in NOTES:
        write(note)
    write(f"{'adaptor':<10} {'cases':>5} {'agree':>5} {'deliberate':>10} {'differ':>6}")
    for adaptor in sorted({adaptor for adaptor, _ in RESULTS.values()}):
        statuses = [status for name, status in RESULTS.values() if name == adaptor]
        write(f"{adaptor:<10} {len(statuses):>5} {statuses.count('agrees'):>5} {statuses.count('deliberate'):>10} {statuses.count('differs'):>6}")
