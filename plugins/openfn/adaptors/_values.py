"""Plain helpers of language-common: they work on values, not state, and are used inside operations."""

from __future__ import annotations

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


def js_string(value: Any) -> str:
    """``String(value)`` in JavaScript: true, null, 25 for 25.0; lists joined by commas."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
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


def array_to_string(array: Sequence[Any], separator: str = ",") -> str:
    """The items as text joined by ``separator``, None as empty text, as JavaScript's ``join``.

    Example:
        operations = [fn(lambda state: {**state, "data": array_to_string(state["data"]["medications"], ", ")})]
    """
    return separator.join("" if item is None else js_string(item) for item in array)


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
    return re.sub(r"\w\S*", lambda word: word[0][0].upper() + word[0][1:].lower(), spaced)


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
        log.warning("Removing characters from a string may create injection vulnerabilities; it's better to replace than remove. "
                    "See https://www.unicode.org/reports/tr36/#Deletion_of_Noncharacters")
    new = "\ufffd" if replacement is None else replacement
    return _EMOJI.sub(lambda _: new, text)


def render(value: Any) -> str:
    """A value as a log line shows it: text as is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=repr, ensure_ascii=False)
