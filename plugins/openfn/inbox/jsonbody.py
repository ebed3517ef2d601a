"""Message bodies: JSON exactly as PostgreSQL's ``jsonb`` accepts it, parsed with exact numbers.

A body the inbox accepts must be storable as ``jsonb`` on PostgreSQL and must match filters the same way
on SQLite, so the parser refuses what ``jsonb_in`` refuses (instead of failing later with a 5xx):
NaN/Infinity, the ``\\u0000`` escape, lone surrogates, invalid UTF-8 (including a BOM) and numbers outside
``numeric``'s range. Numbers with a fraction or exponent become ``Decimal``, so ``1.10`` stays ``1.10``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from openfn.errors import InvalidBody

# numeric's limits (src/backend/utils/adt/numeric.c): at most 131072 digits before the decimal point,
# a display scale of at most 16383 digits, and |exponent| < INT_MAX / 2.
MAX_INTEGER_DIGITS = 131072
MAX_SCALE = 16383
MAX_EXPONENT = 2**31 // 2 - 1
_FLOAT = re.compile(r"-?\d+(?:\.(\d+))?(?:[eE]([-+]?\d+))?\Z")
# Only bodies with one of these escapes can hold a NUL or a lone surrogate; the others skip the walk.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_FIX_JSON = "Send a valid JSON document (RFC 8259) encoded as UTF-8."


def _bad(code: str, problem: str, fix: str = _FIX_JSON) -> InvalidBody:
    return InvalidBody(code, problem, fix=fix)


def _out_of_range(text: str) -> InvalidBody:
    shown = text if len(text) <= 40 else f"{text[:20]}...{text[-10:]}"
    return _bad(
        "number_out_of_range",
        f"The number {shown} is outside the range PostgreSQL's numeric type can store",
        fix="Send it as a string, or with at most 131072 digits before and 16383 after the decimal point.",
    )


def _parse_float(text: str) -> Decimal:
    found = _FLOAT.match(text)
    fraction, exponent_text = (found.group(1), found.group(2)) if found else ("", None)
    if exponent_text is not None and len(exponent_text.lstrip("+-").lstrip("0")) > 10:
        raise _out_of_range(text)
    exponent = int(exponent_text or 0)
    if abs(exponent) >= MAX_EXPONENT or len(fraction or "") - exponent > MAX_SCALE:
        raise _out_of_range(text)
    number = Decimal(text)
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise _out_of_range(text)
    return number


def _parse_int(text: str) -> int | Decimal:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _out_of_range(text)
    if len(text) > 4000:  # Python refuses to convert > 4300 digits to int; Decimal is exact too.
        return Decimal(text)
    return int(text)


def _reject_constant(name: str) -> Any:
    raise _bad(
        "unsupported_number",
        f"The body contains {name}, which is not a JSON number",
        fix="Send finite numbers only (or the value as a string).",
    )


def _check_string(text: str, path: str) -> None:
    where = f" at {path}"
    if "\x00" in text:
        raise _bad(
            "unsupported_character",
            f"The body has a \\u0000 character{where}, which PostgreSQL's jsonb cannot store",
            fix="Remove the NUL characters from the message.",
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(
            "unsupported_character",
            f"The body has a lone surrogate escape (\\ud800-\\udfff without its pair){where}",
            fix="Send the character itself, or a complete surrogate pair.",
        ) from None


def _too_deep(max_depth: int) -> InvalidBody:
    return _bad(
        "too_deep",
        f"The body nests objects and arrays more than {max_depth} levels deep",
        fix="Flatten the message, or ask the operator to raise [openfn] max_depth.",
    )


def _walk(value: Any, max_depth: int, check_strings: bool) -> None:
    """Check depth (and, if needed, every string) without recursion: bodies can be large."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        item, depth, path = stack.pop()
        kind = type(item)
        if kind is dict:
            if depth + 1 > max_depth:
                raise _too_deep(max_depth)
            for key, child in item.items():
                if check_strings:
                    _check_string(key, path)
                if type(child) in (dict, list) or (check_strings and type(child) is str):
                    stack.append((child, depth + 1, f"{path}.{key}" if check_strings else ""))
        elif kind is list:
            if depth + 1 > max_depth:
                raise _too_deep(max_depth)
            for index, child in enumerate(item):
                if type(child) in (dict, list) or (check_strings and type(child) is str):
                    stack.append((child, depth + 1, f"{path}[{index}]" if check_strings else ""))
        elif kind is str:
            _check_string(item, path)


def parse_body(raw: bytes, *, max_depth: int) -> tuple[Any, str]:
    """The parsed body (exact numbers) and its text. Raises ``InvalidBody`` (400) with the fix."""
    if not raw.strip():
        raise _bad("invalid_json", "The request body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _bad("invalid_json", f"The body is not valid UTF-8 (byte {error.start})") from None
    try:
        value = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise _bad("invalid_json", f"The body is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    check_strings = _SUSPECT_ESCAPE.search(text) is not None
    # Cheap bound first: a body with fewer brackets than the limit cannot nest deeper than it.
    if check_strings or text.count("[") + text.count("{") > max_depth:
        _walk(value, max_depth, check_strings)
    return value, text
