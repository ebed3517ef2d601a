"""cursor: values, natural-language dates in the local time zone, keys, defaults, formatters, the cron pattern."""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone

import pytest

from openfn.adaptors import _cursor
from openfn.adaptors.common import cursor, fn, source_value
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import exact, run_job

NAIROBI = "EAT-3"  # POSIX rules need no zoneinfo files: UTC+3 all year
LONDON = "GMT0BST,M3.5.0/1,M10.5.0"  # summer time from the last Sunday of March, 01:00 UTC


@pytest.fixture
def clock(monkeypatch):
    """Pin the cursor's clock: ``clock(datetime)`` sets the current instant."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(_cursor, "utc_now", lambda: moment)

    set_now(datetime(2024, 3, 5, 22, 30, tzinfo=timezone.utc))  # 01:30 on 6 March in Nairobi
    return set_now


@pytest.fixture
def zone():
    """Set the process time zone (``zone("EAT-3")``); the original one is restored afterwards."""
    original = os.environ.get("TZ")

    def use(rule: str) -> None:
        os.environ["TZ"] = rule
        time.tzset()

    use(NAIROBI)
    yield use
    if original is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = original
    time.tzset()


def test_a_plain_value_is_stored_under_cursor_and_logged(caplog):
    with caplog.at_level(logging.INFO, logger="openfn.job"):
        result = cursor(1234)({"data": {}, "references": []})
    assert result == {"data": {}, "references": [], "cursor": 1234}
    assert [r.getMessage() for r in caplog.records] == ["Setting cursor to: 1234"]


def test_the_cursor_is_set_on_the_given_state_as_language_common_does():
    state = {"data": {}}
    assert cursor(5)(state) is state
    assert state == {"data": {}, "cursor": 5}


@pytest.mark.usefixtures("clock", "zone")
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("now", "2024-03-05T22:30:00.000Z"),
        ("end", "2024-03-05T22:30:00.000Z"),
        ("today", "2024-03-05T21:00:00.000Z"),
        ("yesterday", "2024-03-04T21:00:00.000Z"),
        ("1 hour ago", "2024-03-05T21:30:00.000Z"),
        ("0003 hours ago", "2024-03-05T19:30:00.000Z"),
        ("1 day ago", "2024-03-04T21:00:00.000Z"),
        ("2 days ago", "2024-03-03T21:00:00.000Z"),
    ],
)
def test_natural_language_dates_are_local_moments_written_in_utc(words, expected):
    assert cursor(words)({})["cursor"] == expected


def test_local_midnights_follow_summer_time(clock, zone):
    zone(LONDON)
    clock(datetime(2024, 4, 1, 12, 0, tzinfo=timezone.utc))
    assert [cursor(words)({})["cursor"] for words in ("today", "yesterday", "2 days ago")] == [
        "2024-03-31T23:00:00.000Z",
        "2024-03-31T00:00:00.000Z",
        "2024-03-30T00:00:00.000Z",
    ]


@pytest.mark.usefixtures("zone")
def test_the_log_line_shows_the_local_time_and_zone(clock, caplog):
    with caplog.at_level(logging.INFO, logger="openfn.job"):
        cursor("today")({})
    assert [r.getMessage() for r in caplog.records] == ['Setting cursor "today" to: 00:00 6 Mar 2024 (GMT+3)']


@pytest.mark.usefixtures("zone")
def test_start_is_when_the_job_was_built_not_when_the_cursor_runs(clock):
    set_start = cursor("start", key="last_sync")
    clock(datetime(2024, 3, 5, 23, 59, tzinfo=timezone.utc))
    assert set_start({}) == {"last_sync": "2024-03-05T22:30:00.000Z"}


def test_text_that_names_no_date_is_stored_as_it_is():
    assert cursor("rock the cashbah")({}) == {"cursor": "rock the cashbah"}
    assert cursor("2024-01-15T00:00:00Z")({}) == {"cursor": "2024-01-15T00:00:00Z"}


@pytest.mark.usefixtures("clock", "zone")
def test_a_date_before_year_one_is_kept_as_text_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="openfn.job"):
        assert cursor("99999999 days ago")({}) == {"cursor": "99999999 days ago"}
    assert caplog.messages[0] == "Could not convert '99999999 days ago' into a date"


def test_no_value_clears_the_cursor():
    assert cursor()({"cursor": "2024-01-01"}) == {"cursor": None}


@pytest.mark.usefixtures("clock", "zone")
def test_the_default_value_is_used_only_when_the_value_is_none():
    read_last_sync = cursor(source_value("$.last_sync"), default_value="today")
    assert read_last_sync({}) == {"cursor": "2024-03-05T21:00:00.000Z"}
    assert read_last_sync({"last_sync": 0}) == {"last_sync": 0, "cursor": 0}


def test_a_key_names_where_the_cursor_is_kept_and_may_come_from_state():
    assert cursor(44, key="page")({}) == {"page": 44}
    assert cursor(45, key=lambda state: state["cursor_key"])({"cursor_key": "offset"}) == {"cursor_key": "offset", "offset": 45}


@pytest.mark.usefixtures("clock", "zone")
def test_format_receives_the_local_datetime_for_dates_and_the_value_otherwise():
    assert cursor("today", format=lambda day: day.strftime("%Y-%m-%d %z"))({}) == {"cursor": "2024-03-06 +0300"}
    assert cursor("abc", format=str.upper)({}) == {"cursor": "ABC"}
    assert cursor(3, format=lambda page: {"page": page})({}) == {"cursor": {"page": 3}}


@pytest.mark.usefixtures("clock", "zone")
def test_a_format_returning_none_keeps_the_unformatted_value():
    assert cursor("now", format=lambda moment: None)({}) == {"cursor": "2024-03-05T22:30:00.000Z"}
    assert cursor(7, format=lambda page: None)({}) == {"cursor": 7}


@pytest.mark.usefixtures("zone")
def test_a_datetime_value_is_stored_as_iso_text():
    assert cursor(datetime(2024, 1, 2, 3, 4, 5, 678900, tzinfo=timezone.utc))({}) == {"cursor": "2024-01-02T03:04:05.678Z"}


def test_a_format_that_is_not_a_function_is_refused_when_built():
    message = "cursor() needs a function for `format`, got str '%Y-%m-%d'. Fix: Pass a function that takes the cursor value and returns what to store."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        cursor("today", format="%Y-%m-%d")


def test_a_key_that_is_not_text_is_refused_when_built():
    message = "cursor() needs a state key for `key`, got int 1. Fix: Name the key to keep the cursor under, such as 'last_sync'."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        cursor("today", key=1)


@pytest.mark.usefixtures("zone")
def test_a_cron_job_fetches_since_its_last_run_and_saves_when_this_run_started(clock):
    def fetch_cases(state):
        return {**state, "data": {"fetched_since": state["cursor"]}}

    def build():
        return [cursor(source_value("$.last_sync"), default_value="today"), fn(fetch_cases), cursor("start", key="last_sync")]

    first = run_job(build(), {"data": {}, "references": []})
    assert first == {"data": {"fetched_since": "2024-03-05T21:00:00.000Z"}, "references": [], "cursor": "2024-03-05T21:00:00.000Z", "last_sync": "2024-03-05T22:30:00.000Z"}

    clock(datetime(2024, 3, 6, 22, 30, tzinfo=timezone.utc))
    second = run_job(build(), first)
    assert second["data"] == {"fetched_since": "2024-03-05T22:30:00.000Z"}
    assert second["last_sync"] == "2024-03-06T22:30:00.000Z"
