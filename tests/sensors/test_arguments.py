"""Inbox sensors and inbox assets check their arguments when the DAG file is parsed: an unknown project or
a filter that is not a JSON object or array is an import error naming it and the fix, not a task that
waits for ever. What the trigger is built from survives Airflow's serialization."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from openfn.sdk import InboxWatchArgumentError, OpenFnInboxSensor, OpenFnInboxTrigger, openfn_inbox_asset


def test_an_unknown_project_fails_at_parse_time_listing_the_projects():
    with pytest.raises(InboxWatchArgumentError, match=r"^OpenFnInboxSensor 'wait': there is no OpenFn project 'clinc' under .*include/jobs "
                                                      r"\(projects: .*'demo'.*\)\. Fix: name one of those projects, or add the project's folder to \[openfn\] jobs_dir\.$"):  # fmt: skip
        OpenFnInboxSensor(task_id="wait", project="clinc", criteria={"formID": "x"})
    with pytest.raises(InboxWatchArgumentError, match=r"^openfn_inbox_asset\('clinc'\): there is no OpenFn project 'clinc'"):
        openfn_inbox_asset("clinc", criteria={"formID": "x"})


@pytest.mark.parametrize(
    ("criteria", "problem"),
    [
        ("{formID: 1}", r"criteria is not a usable filter: the filter is not valid JSON \(Expecting property name enclosed in double quotes"),
        (5, r"criteria must be a JSON object or array, not int 5\."),
        ("\"text\"", r"criteria must be a JSON object or array, not str 'text'\."),
        ({"n": float("nan")}, r"criteria is not a usable filter"),
    ],
)
def test_an_invalid_filter_fails_at_parse_time_with_the_fix(criteria, problem):
    with pytest.raises(InboxWatchArgumentError, match=rf"^OpenFnInboxSensor 'wait': {problem}"):
        OpenFnInboxSensor(task_id="wait", project="demo", criteria=criteria)
    with pytest.raises(InboxWatchArgumentError, match=r"^openfn_inbox_asset\('demo'\): exclusion must be a JSON object or array, not int 5\."):
        openfn_inbox_asset("demo", criteria={"formID": "x"}, exclusion=5)


def test_a_sensor_is_deferrable_by_default_and_reschedules_without_a_triggerer():
    deferred = OpenFnInboxSensor(task_id="wait", project="demo", criteria='{"amount": 1.50}', exclusion={"test": True}, timeout=60, soft_fail=True)
    assert (deferred.deferrable, deferred.mode, deferred.poke_interval, deferred.timeout, deferred.soft_fail) == (True, "poke", 1.0, 60, True)
    assert (deferred.criteria, deferred.exclusion) == ('{"amount":1.50}', '{"test":true}')
    poking = OpenFnInboxSensor(task_id="poke", project="demo", deferrable=False, poke_interval=30)
    assert (poking.mode, poking.poke_interval, poking.criteria) == ("reschedule", 30, "{}")


def test_since_is_kept_as_iso_text_and_a_naive_time_is_utc():
    sensor = OpenFnInboxSensor(task_id="wait", project="demo", since=datetime.datetime(2026, 3, 1, 8, 30))
    assert sensor.since == "2026-03-01T08:30:00+00:00"
    with pytest.raises(InboxWatchArgumentError, match=r"^OpenFnInboxSensor 'w': since='yesterday' is not an ISO 8601 date and time\."):
        OpenFnInboxSensor(task_id="w", project="demo", since="yesterday")


def test_the_asset_is_named_by_project_and_filters_and_its_trigger_survives_serialization():
    asset = openfn_inbox_asset("demo", criteria={"formID": "lab_result", "n": Decimal("1.50")}, exclusion={"test": True})
    again = openfn_inbox_asset("demo", criteria='{"formID": "lab_result", "n": 1.50}', exclusion='{"test": true}')
    other = openfn_inbox_asset("demo", criteria={"formID": "lab_result"})
    assert asset.uri == again.uri != other.uri and asset.uri.startswith("openfn-inbox://demo/")
    (watcher,) = asset.watchers
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath == "openfn.sensors.trigger.OpenFnInboxTrigger"
    assert kwargs == {"watcher": f"asset:{asset.uri}", "project": "demo", "criteria": '{"formID":"lab_result","n":1.50}',
                      "exclusion": '{"test":true}', "poll_interval": 0.5}  # fmt: skip
    assert OpenFnInboxTrigger(**kwargs).serialize() == (classpath, kwargs)
