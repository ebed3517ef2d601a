"""The parts of a message body that a set of filters can look at, and a body cut down to those parts.

Matching a large body must not cost a parsed copy of all of it (a dense 8 MiB body is some 400 MB of Python
objects). Containment (``body @> filter``) only ever compares the body's values at the object-key paths the
filters name (arrays are transparent, as in match_index), and only asks whether a body scalar *equals* a
filter scalar at the same path. So a body *projected* on the filters' ``Shape`` matches exactly as the whole
body does:

* an object keeps only the keys some filter names at that path (still an object, even if empty);
* an array keeps its elements, projected, without repeats (containment of arrays asks only "is there an
  element that contains ..."), so a million irrelevant elements become one;
* a scalar stays if some filter has an equal scalar at that path; otherwise it becomes ``OTHER``, a string
  equal to nothing (any other scalar would be equal to nothing the filters hold either).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openfn.match_index import token_value


class _Other(str):
    """A body scalar no filter is equal to: equal to nothing, itself included."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


OTHER = _Other("\x00openfn:other")


class Shape:
    """A node of the filters' key trie: ``keys`` (child nodes by object key), ``scalars`` (token values)."""

    __slots__ = ("keys", "scalars", "runs")

    def __init__(self) -> None:
        self.keys: dict[str, Shape] = {}
        self.scalars: set = set()
        self.runs: dict = {}  # compiled member runs (json_walk.member_run), by allow_empty

    @classmethod
    def of(cls, filters: Iterable[Any]) -> Shape:
        root = cls()
        for fragment in filters:
            if fragment is not None:
                root._add(fragment)
        return root

    def _add(self, fragment: Any) -> None:
        if isinstance(fragment, dict):
            for key, item in fragment.items():
                self.keys.setdefault(key, Shape())._add(item)
        elif isinstance(fragment, (list, tuple)):
            for item in fragment:
                self._add(item)
        else:
            self.scalars.add(token_value(fragment))

    def scalar(self, value: Any) -> Any:
        """The body scalar as kept: itself when a filter has an equal one here, else OTHER."""
        return value if self.scalars and token_value(value) in self.scalars else OTHER

    def project(self, value: Any) -> Any:
        """``value`` (parsed JSON) cut down to this shape."""
        if isinstance(value, dict):
            return {key: child.project(value[key]) for key, child in self.keys.items() if key in value}
        if isinstance(value, list):
            return unique(self.project(item) for item in value)
        return self.scalar(value)


def freeze(value: Any):
    """A hashable key equal for equal JSON values (jsonb equality: 1 == 1.0), for de-duplicating array items."""
    if value is OTHER:
        return ("x",)
    if isinstance(value, dict):
        return ("o", tuple(sorted((key, freeze(item)) for key, item in value.items())))
    if isinstance(value, list):
        return ("a", tuple(freeze(item) for item in value))
    return ("v", type(value) is str, token_value(value))


def unique(items: Iterable[Any]) -> list:
    """The projected array elements without repeats, first occurrences in order."""
    seen: set = set()
    kept = []
    for item in items:
        key = freeze(item)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept
