"""language-common's ``dateFns.format`` and ``dateFns.parse`` for Python jobs, with date-fns's pattern letters.

Supported: ``yyyy yy y`` year, ``MMMM MMM MM M`` month, ``dd d`` day, ``EEEE EEE EE E`` weekday, ``HH H``
hour 0-23, ``hh h`` hour 1-12, ``a`` AM/PM, ``mm m`` minute, ``ss s`` second, ``SSS`` millisecond, ``XXX xxx``
UTC offset ('Z' for UTC with ``X``), text in single quotes ('' is a quote). Other letters are an error, as in
date-fns.

Example:
    from openfn.adaptors.common import date_fns, fn

    operations = [fn(lambda state: {**state, "day": date_fns.format(date_fns.parse(state["data"]["dob"], "dd/MM/yyyy", None), "yyyy-MM-dd")})]
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

_TOKENS = re.compile(r"'(?:[^']|'')*'|yyyy|yy|y|MMMM|MMM|MM|M|dd|d|EEEE|EEE|EE|E|HH|H|hh|h|a|mm|m|ss|s|SSS|XXX|xxx|[A-Za-z]|[^A-Za-z']+")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _offset(moment: datetime, utc_z: bool) -> str:
    offset = (moment if moment.tzinfo else moment.astimezone()).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if utc_z and minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _field(token: str, moment: datetime) -> str:
    hour12 = moment.hour % 12 or 12
    values = {
        "yyyy": f"{moment.year:04d}", "yy": f"{moment.year % 100:02d}", "y": str(moment.year),
        "MMMM": MONTHS[moment.month - 1], "MMM": MONTHS[moment.month - 1][:3], "MM": f"{moment.month:02d}", "M": str(moment.month),
        "dd": f"{moment.day:02d}", "d": str(moment.day),
        "EEEE": DAYS[moment.weekday()], "EEE": DAYS[moment.weekday()][:3], "EE": DAYS[moment.weekday()][:3], "E": DAYS[moment.weekday()][:3],
        "HH": f"{moment.hour:02d}", "H": str(moment.hour), "hh": f"{hour12:02d}", "h": str(hour12),
        "a": "AM" if moment.hour < 12 else "PM", "mm": f"{moment.minute:02d}", "m": str(moment.minute),
        "ss": f"{moment.second:02d}", "s": str(moment.second), "SSS": f"{moment.microsecond // 1000:03d}",
        "XXX": _offset(moment, True), "xxx": _offset(moment, False),
    }  # fmt: skip
    return values[token]


def _tokens(pattern: str) -> list[str]:
    tokens = _TOKENS.findall(pattern)
    for token in tokens:
        if len(token) == 1 and token.isalpha() and token not in "yMdEHhamsS":
            raise ValueError(f"Format string contains an unescaped latin alphabet character `{token}`")
    return tokens


def format(date: datetime, pattern: str) -> str:  # noqa: A001 - date-fns's name
    """``date`` written with date-fns's ``pattern`` ('yyyy-MM-dd HH:mm'); a naive datetime is local time.

    Example:
        operations = [fn(lambda state: {**state, "stamp": date_fns.format(datetime.now(), "yyyy-MM-dd'T'HH:mm")})]
    """
    out = []
    for token in _tokens(pattern):
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'") if token != "''" else "'")
        elif token[0].isalpha():
            out.append(_field(token, date))
        else:
            out.append(token)
    return "".join(out)


_PARSE = {
    "yyyy": r"(?P<year>\d{4})", "y": r"(?P<year>\d{1,4})", "yy": r"(?P<year2>\d{2})",
    "MMMM": r"(?P<monthname>[A-Za-z]+)", "MMM": r"(?P<monthabbr>[A-Za-z]{3})", "MM": r"(?P<month>\d{2})", "M": r"(?P<month>\d{1,2})",
    "dd": r"(?P<day>\d{2})", "d": r"(?P<day>\d{1,2})", "EEEE": r"[A-Za-z]+", "EEE": r"[A-Za-z]{3}", "EE": r"[A-Za-z]{3}", "E": r"[A-Za-z]{3}",
    "HH": r"(?P<hour>\d{2})", "H": r"(?P<hour>\d{1,2})", "hh": r"(?P<hour12>\d{2})", "h": r"(?P<hour12>\d{1,2})",
    "a": r"(?P<ampm>AM|PM|am|pm)", "mm": r"(?P<minute>\d{2})", "m": r"(?P<minute>\d{1,2})", "ss": r"(?P<second>\d{2})", "s": r"(?P<second>\d{1,2})",
    "SSS": r"(?P<milli>\d{3})", "XXX": r"(?P<offset>Z|[+-]\d{2}:\d{2})", "xxx": r"(?P<offset>[+-]\d{2}:\d{2})",
}  # fmt: skip


def parse(text: str, pattern: str, reference: datetime | None = None) -> datetime | None:
    """The datetime ``text`` says in date-fns's ``pattern``; fields the pattern lacks come from ``reference``
    (default now; the time of day defaults to midnight). None when ``text`` does not fit (date-fns's Invalid Date).

    Example:
        operations = [fn(lambda state: {**state, "dob": date_fns.parse(state["data"]["dob"], "dd/MM/yyyy", None).date().isoformat()})]
    """
    regex = "".join(re.escape(t[1:-1].replace("''", "'")) if t.startswith("'") else _PARSE[t] if t[0].isalpha() else re.escape(t) for t in _tokens(pattern))
    found = re.fullmatch(regex, text.strip())
    if not found:
        return None
    parts = found.groupdict()
    base = reference or datetime.now()
    month = int(parts["month"]) if parts.get("month") else (
        [m[:3].lower() for m in MONTHS].index(parts.get("monthname", parts.get("monthabbr") or "")[:3].lower()) + 1
        if parts.get("monthname") or parts.get("monthabbr") else base.month)  # fmt: skip
    year = int(parts["year"]) if parts.get("year") else (2000 + int(parts["year2"]) if parts.get("year2") else base.year)
    hour = int(parts["hour"]) if parts.get("hour") else (int(parts["hour12"]) % 12 if parts.get("hour12") else 0)
    if (parts.get("ampm") or "").lower() == "pm":
        hour += 12
    moment = datetime(year, month, int(parts["day"]) if parts.get("day") else base.day, hour,
                      int(parts.get("minute") or 0), int(parts.get("second") or 0), int(parts.get("milli") or 0) * 1000)  # fmt: skip
    if parts.get("offset"):
        offset = parts["offset"]
        zone = timezone.utc if offset == "Z" else timezone(int(offset[0] + "1") * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        moment = moment.replace(tzinfo=zone).astimezone().replace(tzinfo=None)
    return moment


__all__ = ["format", "parse"]
