"""Message filters: PostgreSQL's jsonb containment (``document @> fragment``) as a pure function.

OpenFn v1 selected the messages of a trigger with ``body::jsonb @> criteria::jsonb`` (and ``NOT (body @>
exclusion)``); this module reproduces that operator exactly on values parsed by
``json.loads(text, parse_float=decimal.Decimal)``, so a project behaves the same on SQLite and PostgreSQL.
The rules follow ``jsonb_contains`` (jsonb_op.c) and ``JsonbDeepContains`` (jsonb_util.c):

* scalars are equal under jsonb equality: numbers numerically (``1`` = ``1.0`` = ``1e0``), strings by
  code point (no Unicode normalisation), ``true`` is not ``1``, ``null`` only equals ``null``;
* an object contains an object when every key of the fragment is present with a contained value;
* an array contains an array when every fragment element is contained in some document element: a scalar
  element by equality, an object or array element by containment in one object or array element;
* at the top level only, an array contains a bare scalar (``'[1,2]' @> '1'``) and a scalar contains an
  equal scalar; an object never contains anything but an object, and vice versa.

Floats (from YAML or an unwary caller) are compared as the decimal their ``repr`` spells, which is what
PostgreSQL would have parsed from the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["contains", "matches", "parse_filter"]

# Kinds of JSON value. Looked up by exact type first because these functions are on the inbox hot path.
_OBJECT, _ARRAY, _STRING, _NUMBER, _BOOL, _NULL = range(6)
_KIND_OF_TYPE: dict[type, int] = {
    dict: _OBJECT,
    list: _ARRAY,
    tuple: _ARRAY,
    str: _STRING,
    int: _NUMBER,
    Decimal: _NUMBER,
    float: _NUMBER,
    bool: _BOOL,
    type(None): _NULL,
}
_CONTAINER = (_OBJECT, _ARRAY)
_MISSING = object()


def _kind(value: Any) -> int:
    kind = _KIND_OF_TYPE.get(type(value))
    if kind is not None:
        return kind
    # Subclasses (OrderedDict, str enums ...): bool before int, since bool is an int in Python.
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, (int, Decimal, float)):
        return _NUMBER
    if isinstance(value, str):
        return _STRING
    if isinstance(value, Mapping):
        return _OBJECT
    if isinstance(value, (list, tuple)):
        return _ARRAY
    raise TypeError(f"{type(value).__name__} is not a JSON value; parse messages and filters with json.loads")


def _number(value: Any) -> Any:
    # A float compares by its exact binary value in Python (0.1 != Decimal("0.1")); PostgreSQL would have
    # parsed the shortest text that round-trips, so compare that.
    return Decimal(repr(value)) if type(value) is float else value


def _scalar_equal(have: Any, want: Any, want_kind: int) -> bool:
    if _kind(have) != want_kind:
        return False
    if want_kind == _NUMBER:
        return _number(have) == _number(want)
    return have == want


def _contained(have: Any, want: Any) -> bool:
    """Containment below the top level (object members and array elements)."""
    kind = _kind(want)
    if kind == _OBJECT:
        return _kind(have) == _OBJECT and _object_contains(have, want)
    if kind == _ARRAY:
        return _kind(have) == _ARRAY and _array_contains(have, want)
    return _scalar_equal(have, want, kind)


def _object_contains(document: Mapping, fragment: Mapping) -> bool:
    if len(document) < len(fragment):
        return False
    get = document.get
    for key, want in fragment.items():
        have = get(key, _MISSING)
        if have is _MISSING:
            return False
        if type(want) is str and type(have) is str:  # the common filter: {"formID": "..."}
            if have != want:
                return False
        elif not _contained(have, want):
            return False
    return True


def _array_contains(document: list | tuple, fragment: list | tuple) -> bool:
    containers = None
    for want in fragment:
        kind = _kind(want)
        if kind in _CONTAINER:
            if containers is None:
                containers = [have for have in document if _kind(have) in _CONTAINER]
            for have in containers:
                if _contained(have, want):
                    break
            else:
                return False
        elif kind == _STRING or kind == _NULL:
            # `in` is exact for these: a str or None equals no value of another JSON kind.
            if want not in document:
                return False
        else:  # numbers and booleans: `in` would find True in [1] and 1 in [1.0000000001 as float]
            for have in document:
                if _scalar_equal(have, want, kind):
                    break
            else:
                return False
    return True


def contains(document: Any, fragment: Any) -> bool:
    """Return PostgreSQL's ``document::jsonb @> fragment::jsonb`` for two parsed JSON values.

    >>> contains({"formID": "a", "n": 1}, {"n": Decimal("1.0")})
    True
    >>> contains({"a": [1, 2]}, {"a": 1})
    False
    """
    document_kind = _kind(document)
    fragment_kind = _kind(fragment)
    if fragment_kind == _OBJECT:
        return document_kind == _OBJECT and _object_contains(document, fragment)
    if document_kind == _OBJECT:
        return False
    if fragment_kind == _ARRAY:
        # A bare scalar document is a one-element "raw scalar" array that may not contain a real array.
        return document_kind == _ARRAY and _array_contains(document, fragment)
    if document_kind == _ARRAY:
        return _array_contains(document, (fragment,))
    return _scalar_equal(document, fragment, fragment_kind)


def matches(body: Any, inclusion: Any, exclusion: Any = None) -> bool:
    """The message-filter trigger rule: ``body @> inclusion AND NOT (body @> exclusion)``.

    ``exclusion=None`` means the trigger has no exclusion filter (SQL NULL in OpenFn v1).
    """
    if not contains(body, inclusion):
        return False
    return exclusion is None or not contains(body, exclusion)


_EXAMPLE = 'write it as a JSON object such as {"formID": "patient_registration_v7"}'


def dumps_exact(value: Any) -> str:
    """Compact JSON text of a parsed value (``parse_filter``'s or ``json.loads`` with ``Decimal``), with
    ``Decimal`` numbers written exactly as they were written."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key, ensure_ascii=False)}:{dumps_exact(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_exact(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def parse_filter(value: Any) -> Any:
    """Parse a filter as written in project.yaml: JSON text (as OpenFn exports it) or a YAML value.

    Numbers with a fraction or exponent become ``Decimal``; YAML floats become the decimal they spell.
    Raises ``ValueError`` with a sentence naming the problem and the fix.
    """
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"the filter is not UTF-8 (byte {error.start}); save the file as UTF-8") from None
    if isinstance(value, str):
        return _parse_text(value)
    return _from_yaml(value, "")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"the filter contains {name}, which is not JSON; use a number or a string")


def _parse_text(text: str) -> Any:
    if not text.strip():
        raise ValueError(f"the filter is empty; {_EXAMPLE}")
    try:
        parsed = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"the filter is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); {_EXAMPLE}"
        ) from None
    except RecursionError:
        raise ValueError("the filter is nested too deeply to be JSON that PostgreSQL accepts") from None
    _check_strings(parsed, "")
    return parsed


def _check_string(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueError(f"the filter has a \\u0000 character{where}, which jsonb cannot hold; remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"the filter has a lone surrogate escape{where}; write the character itself") from None


def _at(path: str) -> str:
    return f" at {path}" if path else ""


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_string(key, _at(path))
            _check_strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        _check_string(value, _at(path))


def _from_yaml(value: Any, path: str) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        if isinstance(value, str):
            _check_string(value, _at(path))
        return value
    if isinstance(value, (float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise ValueError(f"the filter has {value}{_at(path)}, which is not a JSON number; use a finite number")
        return number
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"the filter has the non-string key {key!r}{_at(path)}; quote it, JSON keys are strings")
            _check_string(key, _at(path))
            result[key] = _from_yaml(item, f"{path}.{key}" if path else key)
        return result
    if isinstance(value, (list, tuple)):
        return [_from_yaml(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise ValueError(
        f"the filter has a {type(value).__name__} value {value!r}{_at(path)}, which is not JSON; "
        "quote it in the YAML to match a string"
    )
