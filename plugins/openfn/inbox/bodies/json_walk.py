"""Checking a large body without building it: one pass over the JSON text that applies every rule of
``json_parsing.parse_body`` and keeps only what the filters can look at (``filter_shape.Shape``).

``json.loads`` turns a dense body into Python objects worth up to about 50 times its size; this walk keeps
the current path and the projected parts only, so its memory does not grow with the body. Where nothing
is kept (outside the filters' paths), runs of plain scalars (short numbers, strings without escapes,
literals, empty containers) are checked by one regular expression at C speed; everything else is read
token by token with the json module's C helpers. Errors read like ``json.loads``'s.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Any

from openfn.inbox.bodies.filter_shape import OTHER, Shape, freeze

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_BLANK = " \t\n\r"
_CONSTANTS = (("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"))

# Scalars every rule accepts as they are written: integers of up to 18 digits, decimals of up to 18 + 17
# digits without exponent (finite and not zero as a double, within numeric's scale), strings without escapes
# or control characters, true/false/null. With EMPTY: empty arrays and objects (one level deeper).
_PLAIN = r'-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?(?![0-9.eE])|"[^"\\\x00-\x1f]*"|true|false|null'
_EMPTY = r"\[[ \t\n\r]*\]|\{[ \t\n\r]*\}"
_SEP = r"[ \t\n\r]*,[ \t\n\r]*"
_KEY = r'"[^"\\\x00-\x1f]*"[ \t\n\r]*:[ \t\n\r]*'


# What a run of array elements held (a run holds no string with a quote inside, and every element of it
# starts at the run's start or after a comma): an empty array, an empty object, a scalar.
_HAS_ARRAY = re.compile(r'(?:"[^"]*"|[^"\[])*+\[')
_HAS_OBJECT = re.compile(r'(?:"[^"]*"|[^"{])*+\{')
_ONLY_EMPTIES = re.compile(r"[\[\]{}, \t\n\r]*")


def _compile_runs(shape: Shape | None, allow: bool) -> tuple[re.Pattern, re.Pattern]:
    """(array elements, object members) runs where ``shape`` (None: nothing) is kept: members whose key
    the shape names are left to the walk; with ``allow`` (one level deeper is not too deep) empty
    containers and flat objects of such members are elements too (their projection is [] or {})."""
    named = [re.escape(key) for key in (shape.keys if shape is not None else ()) if not re.search(r'["\\\x00-\x1f]', key)]
    member = (f'(?!"(?:{"|".join(named)})")' if named else "") + f"{_KEY}(?:{_PLAIN})"
    element = _PLAIN
    if allow:
        element += rf"|{_EMPTY}|\{{[ \t\n\r]*{member}(?:{_SEP}{member})*+[ \t\n\r]*\}}"  # possessive: no backtracking state
    return re.compile(f"(?:(?:{element}){_SEP})*+"), re.compile(f"(?:{member}{_SEP})*+")


_SKIP_RUNS = {allow: _compile_runs(None, allow) for allow in (True, False)}


def runs_for(shape: Shape | None, allow: bool) -> tuple[re.Pattern, re.Pattern]:
    if shape is None:
        return _SKIP_RUNS[allow]
    found = shape.runs.get(allow)
    if found is None:
        found = shape.runs[allow] = _compile_runs(shape, allow)
    return found


class _Error(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message, self.pos = message, pos


class Walk:
    """One pass over ``text``. ``checks`` holds json_parsing's rules: ``parse_int``, ``parse_float``,
    ``reject_constant``, ``check_string`` and ``too_deep``, as ``json.loads`` hooks would apply them."""

    def __init__(self, text: str, max_depth: int, check_strings: bool, checks) -> None:
        self.text = text
        self.max_depth = max_depth
        self.check_strings = check_strings
        self.checks = checks
        self.path: list = []  # keys and indexes of the value being read, for error messages
        # As with json.loads and its hooks, syntax and number errors come first: a string or depth error
        # is kept and raised once the whole text has been read.
        self.deferred: Exception | None = None

    # -- entry ------------------------------------------------------------------------------------------
    def run(self, shape: Shape | None) -> Any:
        try:
            value, pos = self.value(self.skip(0), 1, shape)
            pos = self.skip(pos)
            if pos != len(self.text):
                raise _Error("Extra data", pos)
        except _Error as error:
            raise json.JSONDecodeError(error.message, self.text, error.pos) from None
        except RecursionError:  # nested far deeper than any max_depth: json.loads gives up there too
            raise self.checks.too_deep(self.max_depth) from None
        if self.deferred is not None:
            raise self.deferred
        return value

    def defer(self, error: Exception) -> None:
        if self.deferred is None:
            self.deferred = error

    def skip(self, pos: int) -> int:
        text = self.text
        if pos < len(text) and text[pos] in _BLANK:
            return _WS.match(text, pos).end()
        return pos

    def where(self) -> str:
        shown = "$"
        for part in self.path:
            if part is None:  # reading an object's key: the error is the object's
                break
            shown += f"[{part}]" if isinstance(part, int) else f".{part}"
        return shown

    # -- values -----------------------------------------------------------------------------------------
    def value(self, pos: int, depth: int, shape: Shape | None) -> tuple[Any, int]:
        text = self.text
        char = text[pos] if pos < len(text) else ""
        if char == '"':
            string, end = self.string(pos)
            return (shape.scalar(string) if shape is not None else None), end
        if char == "{":
            return self.object(pos, depth, shape)
        if char == "[":
            return self.array(pos, depth, shape)
        if char == "-" or "0" <= char <= "9":
            return self.number(pos, shape)
        for literal, parsed in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, pos):
                return (shape.scalar(parsed) if shape is not None else None), pos + len(literal)
        for literal, name in _CONSTANTS:
            if text.startswith(literal, pos):
                self.checks.reject_constant(name)
        raise _Error("Expecting value", pos)

    def string(self, pos: int) -> tuple[str, int]:
        try:
            string, end = scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as error:
            raise _Error(error.msg, error.pos) from None
        if self.check_strings and self.deferred is None:
            try:
                self.checks.check_string(string, self.where())
            except Exception as error:
                self.defer(error)
        return string, end

    def number(self, pos: int, shape: Shape | None) -> tuple[Any, int]:
        found = _NUMBER.match(self.text, pos)
        if found is None:
            if self.text.startswith("-Infinity", pos):
                self.checks.reject_constant("-Infinity")
            raise _Error("Expecting value", pos)
        integer, fraction, exponent = found.groups()
        token = found.group()
        parsed = self.checks.parse_float(token) if fraction or exponent else self.checks.parse_int(integer)
        return (shape.scalar(parsed) if shape is not None else None), found.end()

    def _enter(self, depth: int) -> None:
        if depth > self.max_depth and self.deferred is None:
            self.defer(self.checks.too_deep(self.max_depth))

    def object(self, pos: int, depth: int, shape: Shape | None) -> tuple[Any, int]:
        self._enter(depth)
        text, keys = self.text, (shape.keys if shape is not None else None)
        kept = {} if shape is not None else None
        run = None if self.check_strings else runs_for(shape, depth < self.max_depth)[1]
        shape = shape if depth <= self.max_depth else None  # too deep: refused anyway, keep nothing
        pos = self.skip(pos + 1)
        if pos < len(text) and text[pos] == "}":
            return kept, pos + 1
        self.path.append(None)
        while True:
            if run is not None:
                pos = run.match(text, pos).end()
            if pos >= len(text) or text[pos] != '"':
                raise _Error("Expecting property name enclosed in double quotes", pos)
            self.path[-1] = None
            key, pos = self.string(pos)
            self.path[-1] = key
            pos = self.skip(pos)
            if pos >= len(text) or text[pos] != ":":
                raise _Error("Expecting ':' delimiter", pos)
            child = keys.get(key) if keys else None
            item, pos = self.value(self.skip(pos + 1), depth + 1, child)
            if child is not None:
                kept[key] = item
            pos = self.skip(pos)
            char = text[pos] if pos < len(text) else ""
            if char == "}":
                self.path.pop()
                return kept, pos + 1
            if char != ",":
                raise _Error("Expecting ',' delimiter", pos)
            pos = self.skip(pos + 1)

    def _run_items(self, start: int, end: int, kept: list, seen: set) -> None:
        """The projections of a run of array elements (shape without scalars): OTHER, [], {} as held."""
        text = self.text
        found = []
        if _ONLY_EMPTIES.fullmatch(text, start, end) is None:
            found.append(OTHER)
        if _HAS_ARRAY.match(text, start, end):
            found.append([])
        if _HAS_OBJECT.match(text, start, end):
            found.append({})
        for item in found:
            frozen = freeze(item)
            if frozen not in seen:
                seen.add(frozen)
                kept.append(item)

    def array(self, pos: int, depth: int, shape: Shape | None) -> tuple[Any, int]:
        self._enter(depth)
        text = self.text
        kept, seen = ([], set()) if shape is not None else (None, None)
        run = None
        if not self.check_strings and (shape is None or not shape.scalars):
            run = runs_for(shape, depth < self.max_depth)[0]
        pos = self.skip(pos + 1)
        if pos < len(text) and text[pos] == "]":
            return kept, pos + 1
        self.path.append(0)
        index = 0
        while True:
            if run is not None:
                end = run.match(text, pos).end()
                if kept is not None and end > pos:
                    self._run_items(pos, end, kept, seen)
                pos = end
            self.path[-1] = index
            item, pos = self.value(pos, depth + 1, shape)
            if kept is not None:
                frozen = freeze(item)
                if frozen not in seen:
                    seen.add(frozen)
                    kept.append(item)
            pos = self.skip(pos)
            char = text[pos] if pos < len(text) else ""
            if char == "]":
                self.path.pop()
                return kept, pos + 1
            if char != ",":
                raise _Error("Expecting ',' delimiter", pos)
            pos = self.skip(pos + 1)
            index += 1


__all__ = ["OTHER", "Walk"]
