"""``cursor``: where a cron job got to, kept in its state for the next run.

Natural-language dates follow language-common: 'now'/'end', 'start', 'today', 'yesterday',
'<n> hours ago', '<n> days ago', in the worker's local time zone, written as JavaScript ISO text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from openfn.adaptors._args import describe, is_function, named, require_function
from openfn.adaptors._references import resolve
from openfn.adaptors._values import js_string, render
from openfn.errors import OperationArgumentError

logger = logging.getLogger("openfn.job")

Operation = Callable[[dict], dict]


def utc_now() -> datetime:
    """The current instant (tests replace this to pin the clock)."""
    return datetime.now(timezone.utc)


def _midnight(day_offset: int) -> datetime:
    day = utc_now().astimezone().date() - timedelta(days=day_offset)
    # A naive local time made aware by astimezone() gets that day's own UTC offset, summer time included.
    return datetime(day.year, day.month, day.day).astimezone()


def parse_date(text: str, start: datetime) -> datetime | str:
    """The local date a cursor keyword names, or ``text`` unchanged when it names none."""
    if text == "start":
        return start.astimezone()
    if text in ("now", "end"):
        return utc_now().astimezone()
    if text == "today":
        return _midnight(0)
    if text == "yesterday":
        return _midnight(1)
    amount = re.search(r"\d+", text)
    try:
        if amount and re.search(r"hours? ago$", text):
            return (utc_now() - timedelta(hours=int(amount[0]))).astimezone()
        if amount and re.search(r"days? ago$", text):
            return _midnight(int(amount[0]))
    except (OverflowError, ValueError):  # before year 1: like the JavaScript, keep the text
        logger.warning("Could not convert %r into a date", text)
    return text


def iso(moment: datetime) -> str:
    """JavaScript's ``toISOString()``: UTC with milliseconds, '2024-03-05T21:00:00.000Z'."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _human(moment: datetime) -> str:
    """'00:00 5 Mar 2024 (GMT+3)', the log line's local time."""
    minutes = int(moment.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    zone = f"GMT{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"{moment:%H:%M} {moment.day} {moment:%b %Y} ({zone})"


def _stored(chosen: Any, started: datetime, format: Callable[[Any], Any] | None) -> tuple[Any, str]:
    """What the cursor keeps for ``chosen``, and the end of the log line that says so (as language-common
    writes it: a date named by text in local time, a formatted one with String(), None as undefined)."""
    date = parse_date(chosen, started) if isinstance(chosen, str) else chosen
    if isinstance(date, datetime):
        date = date.astimezone()  # a naive datetime is taken as local time
        formatted = format(date) if format else None
        stored = iso(date) if formatted is None else formatted
        if not isinstance(chosen, str):
            return stored, f"to: {render(stored) if format else render(date)}"
        return stored, f'"{chosen}" to: {js_string(stored) if format else _human(date)}'
    formatted = format(chosen) if format else None
    stored = chosen if formatted is None else formatted
    return stored, f"to: {'undefined' if stored is None else render(stored)}"


def cursor(value: Any = None, *, key: Any = None, default_value: Any = None, format: Callable[[Any], Any] | None = None) -> Operation:
    """Set ``state["cursor"]`` (or ``state[key]``) to ``value``, or to ``default_value`` when ``value`` is None.

    Text naming a date ('now', 'today', 'yesterday', '3 hours ago', '2 days ago', 'start' for when
    the job was loaded, i.e. when its run started) becomes that moment as ISO text in UTC, or whatever
    ``format`` makes of the local datetime; a datetime value is stored the same way. Other values
    are stored as they are (through ``format`` if given). ``value``, ``key`` and ``default_value`` may be functions of state.
    In language-common a ``key`` also becomes the default for later cursor() calls of the run; here
    each call names its own key, so no setting leaks from one run into another in the same worker.
    The cursor is set on the state it is given, which is returned (as language-common does).

    Example:
        operations = [
            cursor(source_value("$.last_sync"), default_value="today"),
            get("/cases", params={"since": source_value("$.cursor")}),
            cursor("start", key="last_sync"),
        ]
    """
    if format is not None:
        require_function("cursor", "format", format, fix="Pass a function that takes the cursor value and returns what to store.")
    if key is not None and not (isinstance(key, str) and key) and not is_function(key):
        raise OperationArgumentError(f"cursor() needs a state key for `key`, got {describe(key)}.", fix="Name the key to keep the cursor under, such as 'last_sync'.")
    started = utc_now()

    @named("cursor")
    def set_cursor(state: dict) -> dict:
        resolved, target, fallback = resolve(state, [value, key, default_value])
        target = target or "cursor"
        chosen = fallback if resolved is None else resolved
        stored, shown = _stored(chosen, started, format)
        logger.info("Setting %s %s", target, shown)
        state[target] = stored  # language-common sets the cursor on the state it was given
        return state

    return set_cursor
