"""Plain helpers of language-common: they work on values, not state, and are used inside operations."""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from openfn.adaptors._args import describe
from openfn.errors import OperationArgumentError

log = logging.getLogger("openfn.job")

MISSING = object()


class _Undefined:
    """JavaScript's ``undefined`` inside JSONPath filters, where it differs from ``null`` (None)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()
_KEY = re.compile(r"[^.\[\]]+")
# JavaScript's /\w\S*/: a word starts at an ASCII letter, digit or '_' ('élodie' is 'éLodie') and runs to
# JavaScript's next white space.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_WORD = re.compile(f"[A-Za-z0-9_][^{_JS_SPACE}]*")
# The JavaScript pattern in code points: U+FE0F, (c), (R), U+2000-U+3300 and the emoji planes U+1F000-U+1FBFF.
_EMOJI = re.compile("[\ufe0f\u00a9\u00ae\u2000-\u3300\U0001f000-\U0001fbff]")


def js_truthy(value: Any) -> bool:
    """JavaScript's truthiness: None, False, 0, NaN and '' are false; everything else, [] and {} too, is true.

    Example:
        operations = [fn_if(lambda state: js_truthy(state["data"].get("visits")), post("/visits", body=data_value("visits")))]
    """
    if value is None or value is UNDEFINED or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == value and value != 0  # NaN is not equal to itself
    return True


def js_number(number: float) -> str:
    """A number as JavaScript writes it: 25 for 25.0, 1e+21, 1e-7, 0.000001, 123456789012345680000."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "Infinity" if number > 0 else "-Infinity"
    if isinstance(number, int) or number == 0:
        return str(int(number))
    # The shortest digits that read back as the same double, and where the decimal point goes.
    digits, point = repr(abs(number)).lower(), 0
    if "e" in digits:
        significand, _, exp = digits.partition("e")
        digits, point = significand.replace(".", ""), int(exp) + 1
    else:
        whole, _, fraction = digits.partition(".")
        fraction = fraction.rstrip("0")
        digits, point = (whole + fraction), len(whole)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    sign = "-" if number < 0 else ""
    if -6 < point <= 21:  # JavaScript's fixed notation: 1e-7 < |n| < 1e21
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    exp = point - 1
    shown = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{sign}{shown}e{'+' if exp > 0 else '-'}{abs(exp)}"


def js_string(value: Any) -> str:
    """``String(value)`` in JavaScript: true, null, 25 for 25.0, 1e+21; lists joined by commas."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, list | tuple):
        return array_to_string(value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def get_path(item: Any, key_path: str | Sequence[str | int]) -> Any:
    """lodash ``_.get``: the value at 'a.b[0].c' (or a list of keys), else MISSING."""
    if not isinstance(key_path, list | tuple):
        key_path = str(key_path)
        if isinstance(item, dict) and key_path in item:  # lodash tries the whole path as one key first
            return item[key_path]
        key_path = _KEY.findall(key_path)
    for key in key_path:
        text = str(key)
        if isinstance(item, dict):
            item = item.get(text, MISSING)
        elif isinstance(item, list | tuple) and text.isascii() and text.isdigit() and int(text) < len(item):
            item = item[int(text)]
        else:
            return MISSING
        if item is MISSING:
            return MISSING
    return item


def field(key: str, value: Any) -> tuple[str, Any]:
    """A ``(key, value)`` pair for ``fields``; ``value`` may be a function of state.

    Example:
        operations = [post("/patients", body=fields(field("name", data_value("form.name"))))]
    """
    if not isinstance(key, str):
        raise OperationArgumentError(f"field() needs a string key, got {describe(key)}.", fix="Name the field with a string.")
    return (key, value)


def fields(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """A dict from ``field`` pairs (a later pair wins over an earlier one with the same key).

    Example:
        operations = [post("/patients", body=fields(field("name", data_value("name")), field("sex", "F")))]
    """
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise OperationArgumentError(f"fields() needs (key, value) pairs, got {describe(pair)}.", fix="Build each pair with field(key, value).")
    return dict(pairs)


def chunk(array: Sequence[Any], size: int) -> list[list[Any]]:
    """``array`` cut into lists of at most ``size`` items.

    Example:
        operations = [fn(lambda state: {**state, "batches": chunk(state["data"]["patients"], 100)})]
    """
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise OperationArgumentError(f"chunk() needs a whole number of at least 1 for `size`, got {describe(size)}.", fix="Pass the largest number of items a chunk may hold, such as 100.")
    if not isinstance(array, list | tuple):
        raise OperationArgumentError(f"chunk() needs a list for `array`, got {describe(array)}.", fix="Pass the list of items to cut into chunks.")
    return [list(array[start : start + size]) for start in range(0, len(array), size)]


def array_to_string(array: Sequence[Any], separator: str | None = ",") -> str:
    """The items as text joined by ``separator``, None as empty text, as JavaScript's ``join``.

    Example:
        operations = [fn(lambda state: {**state, "data": array_to_string(state["data"]["medications"], ", ")})]
    """
    return ("," if separator is None else separator).join("" if item is None else js_string(item) for item in array)


def to_array(value: Any) -> list[Any]:
    """``value`` as a list: a list or tuple is copied, anything else (None too) is wrapped.

    Example:
        operations = [each(lambda state: to_array(state["data"]["visits"]), fn(record_visit))]
    """
    return list(value) if isinstance(value, list | tuple) else [value]


def human_proper(text: Any) -> Any:
    """'first_name' -> 'First Name': '_' and '-' become spaces and each word is capitalised. Non-text is returned.

    Example:
        operations = [fn(lambda state: {**state, "label": human_proper(state["data"]["form_name"])})]
    """
    if not isinstance(text, str):
        return text
    spaced = re.sub(r"[_-]", " ", text)
    return _WORD.sub(lambda word: word[0][0].upper() + word[0][1:].lower(), spaced)


def split_keys(document: dict[str, Any], keys: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(kept, split)``: the entries whose key is not in ``keys``, then those whose key is.

    Example:
        operations = [fn(lambda state: {**state, "data": split_keys(state["data"], ["password"])[0]})]
    """
    kept = {key: value for key, value in document.items() if key not in keys}
    split = {key: value for key, value in document.items() if key in keys}
    return kept, split


def scrub_emojis(text: Any, replacement: str | None = None) -> Any:
    """``text`` with each emoji code point replaced by ``replacement`` (default U+FFFD).

    Removing them (``replacement=""``) is allowed but logs a warning: deleting characters can let
    injected text through (Unicode TR36).

    Example:
        operations = [fn(lambda state: {**state, "name": scrub_emojis(state["data"]["name"])})]
    """
    if not text:
        return text
    if replacement == "":
        log.warning("Removing characters from a string may create injection vulnerabilities; It's better to replace than remove. "
                    "See https://www.unicode.org/reports/tr36/#Deletion_of_Noncharacters")
    new = "\ufffd" if replacement is None else replacement
    return _EMOJI.sub(lambda _: new, text)


def render(value: Any) -> str:
    """A value as OpenFn's logger writes it: text as is, numbers and booleans as JavaScript writes them,
    None as null, anything else as JSON indented by two spaces (a date as its quoted ISO text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value == 0 and str(value).startswith("-"):
        return "-0"  # Node's console shows the sign that String() drops
    if value is None or isinstance(value, bool | int | float):
        return js_string(value)
    return js_json(value)


def js_json(value: Any, indent: str = "  ", depth: int = 0) -> str:
    """``JSON.stringify(value, null, 2)``: numbers as JavaScript writes them, NaN and infinities as null."""
    if value is None or (isinstance(value, float) and (value != value or value in (float("inf"), float("-inf")))):
        return "null"
    if isinstance(value, bool | int | float):
        return js_string(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        return f'"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"'
    inner, outer = "\n" + indent * (depth + 1), "\n" + indent * depth
    if isinstance(value, dict):
        items = [f"{json.dumps(str(key), ensure_ascii=False)}: {js_json(item, indent, depth + 1)}" for key, item in value.items()]
        return "{" + inner + ("," + inner).join(items) + outer + "}" if items else "{}"
    if isinstance(value, list | tuple):
        items = [js_json(item, indent, depth + 1) for item in value]
        return "[" + inner + ("," + inner).join(items) + outer + "]" if items else "[]"
    return json.dumps(repr(value), ensure_ascii=False)
