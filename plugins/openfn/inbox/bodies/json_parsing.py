"""Message bodies: JSON exactly as PostgreSQL's ``jsonb`` accepts it, parsed with exact numbers.

A body the inbox accepts must be storable as ``jsonb`` on PostgreSQL and must match filters the same way
on SQLite, so the parser refuses what ``jsonb_in`` refuses (instead of failing later with a 5xx):
NaN/Infinity, the ``\\u0000`` escape, lone surrogates, invalid UTF-8 (including a BOM) and numbers outside
``numeric``'s range. Numbers with a fraction or exponent become ``Decimal``, so ``1.10`` stays ``1.10``.

Every number must also read back as itself wherever the body goes: Airflow reads a run's conf with Python's
``json`` module, which refuses integers of more than 4300 digits and turns numbers beyond a double's range
into infinity (or zero). Such numbers are refused too, so a message the inbox accepts can always be
dispatched, reprocessed and searched.

Bodies up to ``[openfn] large_body_bytes`` are parsed whole (``parse_body``); larger ones are walked once
(``json_walk.Walk``) and only the parts the project's filters look at are kept (``filter_shape.Shape``).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from openfn.errors import InvalidBody
from openfn.inbox.bodies.filter_shape import Shape
from openfn.inbox.bodies.json_walk import Walk

# numeric's limits (src/backend/utils/adt/numeric.c): at most 131072 digits before the decimal point,
# a display scale of at most 16383 digits, and |exponent| < INT_MAX / 2.
MAX_INTEGER_DIGITS = 131072
MAX_SCALE = 16383
MAX_EXPONENT = 2**31 // 2 - 1
MAX_PYTHON_DIGITS = 4300  # Python's default int_max_str_digits: json.loads refuses longer integers
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
        f"The number {shown} is outside the range the inbox can store and read back exactly",
        fix="Send it as a string, or as an integer of at most 4300 digits, or a number between -1.7e308 and "
        "1.7e308 that is not closer to zero than 5e-324, with at most 16383 digits after the decimal point.",
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
    as_float = float(number)  # what Airflow's json.loads makes of it
    if math.isinf(as_float) or (as_float == 0 and number != 0):
        raise _out_of_range(text)
    return number


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_PYTHON_DIGITS:
        raise _out_of_range(text)
    return int(text)


def _stored_int(text: str) -> int | Decimal:
    """Integers of stored bodies (some were accepted before the 4300-digit rule): exact, never an error."""
    return int(text) if len(text.lstrip("-")) <= MAX_PYTHON_DIGITS else Decimal(text)


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


def decode(raw: bytes | bytearray) -> str:
    """The body's text. Raises ``InvalidBody`` for an empty body and for bytes that are not UTF-8."""
    if not raw.strip():
        raise _bad("invalid_json", "The request body is empty")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _bad("invalid_json", f"The body is not valid UTF-8 (byte {error.start})") from None


def _syntax(error: json.JSONDecodeError) -> InvalidBody:
    return _bad("invalid_json", f"The body is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})")


STRICT = SimpleNamespace(parse_int=_parse_int, parse_float=_parse_float, reject_constant=_reject_constant,
                         check_string=_check_string, too_deep=_too_deep)  # fmt: skip
STORED = SimpleNamespace(parse_int=_stored_int, parse_float=Decimal, reject_constant=_reject_constant,
                         check_string=_check_string, too_deep=_too_deep)  # fmt: skip


def walk(text: str, *, max_depth: int, shape: Shape | None, rules=STRICT) -> Any:
    """Check ``text`` in one pass (every rule of ``parse_body``); returns it projected on ``shape``."""
    try:
        return Walk(text, max_depth, _SUSPECT_ESCAPE.search(text) is not None, rules).run(shape)
    except json.JSONDecodeError as error:
        raise _syntax(error) from None


def parse_message(raw: bytes | bytearray, *, max_depth: int, shape: Shape, large_bytes: int) -> tuple[Any, str]:
    """What matching needs of a body, and its text: the whole parsed body when it is at most
    ``large_bytes``, else the body projected on ``shape`` (see bodies/filter_shape.py). Raises ``InvalidBody``."""
    if len(raw) <= large_bytes:
        return parse_body(raw, max_depth=max_depth)
    text = decode(raw)
    return walk(text, max_depth=max_depth, shape=shape), text


def read_stored(text: str, *, shape: Shape, large_bytes: int) -> Any:
    """A stored body for matching (reprocessing, search): parsed whole when small, projected when large.
    Never fails on numbers stored before today's rules."""
    if len(text) <= large_bytes:
        return json.loads(text, parse_float=Decimal, parse_int=_stored_int)
    return walk(text, max_depth=10**6, shape=shape, rules=STORED)


def parse_body(raw: bytes, *, max_depth: int) -> tuple[Any, str]:
    """The parsed body (exact numbers) and its text. Raises ``InvalidBody`` (400) with the fix."""
    text = decode(raw)
    try:
        value = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise _syntax(error) from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    check_strings = _SUSPECT_ESCAPE.search(text) is not None
    # Cheap bound first: a body with fewer brackets than the limit cannot nest deeper than it.
    if check_strings or text.count("[") + text.count("{") > max_depth:
        _walk(value, max_depth, check_strings)
    return value, text
