"""Each case runs through our Python adaptor and OpenFn's published JavaScript package; the final states and
the requests the local API received must be the same, except for the deliberate differences in docs/adaptors.md."""

from __future__ import annotations

import json

import pytest

from tests.adaptors.differential import harness
from tests.adaptors.differential.cases import ALL_CASES
from tests.adaptors.differential.conftest import RESULTS


def contains(actual, expected) -> bool:
    """``expected``'s keys have these values in ``actual`` (dicts key by key, lists item by item, anything else equal)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(key in actual and contains(actual[key], value) for key, value in expected.items())
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return all(contains(item, wanted) for item, wanted in zip(actual, expected))
    return actual == expected


def differences(python, js, where="") -> list[str]:
    """Each place where the outcomes differ, as 'where: Python ... / JavaScript ...'."""
    if isinstance(python, dict) and isinstance(js, dict):
        return [line for key in sorted(set(python) | set(js), key=str) for line in differences(python.get(key, "<absent>"), js.get(key, "<absent>"), f"{where}.{key}")]
    if isinstance(python, list) and isinstance(js, list) and len(python) == len(js):
        return [line for index, (a, b) in enumerate(zip(python, js)) for line in differences(a, b, f"{where}[{index}]")]
    return [] if python == js else [f"{where or '$'}: Python {json.dumps(python)[:300]} / JavaScript {json.dumps(js)[:300]}"]


def test_case_ids_are_unique():
    ids = [case.id for case in ALL_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_python_does_what_javascript_does(case, api, js_outcomes):
    expected = js_outcomes["outcomes"].get(case.id)
    assert expected is not None, f"No JavaScript outcome for {case.id}: run pytest tests/adaptors/differential --record-js"
    start = len(api.received)
    result = harness.run_python(case, api.url)
    python = harness.outcome(result, api.received[start:], api.url, case)
    if case.deliberate:
        documented = contains(python, case.py_expect)
        RESULTS[case.id] = (case.adaptor, "deliberate" if python != expected and documented else "differs")
        assert python != expected, f"{case.id} is listed as deliberate difference {case.deliberate} but both sides agree"
        assert documented, f"{case.id}: the Python outcome is not the documented one:\n{json.dumps(python, indent=1, sort_keys=True)}"
        return
    RESULTS[case.id] = (case.adaptor, "agrees" if python == expected else "differs")
    if python != expected:
        pytest.fail("\n".join(["Python differs from JavaScript:", *differences(python, expected), f"(Python error: {result.get('error')})"]), pytrace=False)


def test_recorded_javascript_outcomes_are_current(request, js_outcomes, recorded):
    if request.config.getoption("--record-js"):
        pytest.skip("js_results.json is being rewritten by this run")
    if js_outcomes["source"] != "live":
        pytest.skip("the JavaScript side was not run (no Node.js, or --js-recorded): the recorded outcomes are used as they are")
    assert recorded.get("outcomes") == js_outcomes["outcomes"], (
        "tests/adaptors/differential/js_results.json is out of date: "
        ".venv/bin/python -m pytest tests/adaptors/differential --record-js -p no:cacheprovider"
    )
