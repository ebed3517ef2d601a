"""An index in front of the matcher, so the cost of matching a message does not grow with the filter count.

Every document that contains a fragment has, for each scalar leaf of the fragment, an equal scalar at the
same path of object keys (arrays are transparent, as in containment). So each inclusion filter is filed
under one such *leaf token* -- the one shared by the fewest filters -- in a trie of object keys. A message
walks only the branches of the trie that it has, collects the filters filed under its leaves, and those
candidates are re-checked exactly with ``matches``. Filters without a scalar leaf (``{}``, ``{"a": []}``)
cannot be filed and are checked for every message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from openfn.matching import matches

__all__ = ["FilterIndex"]

K = TypeVar("K", bound=Hashable)
Path = tuple[str, ...]
Token = tuple[Path, Hashable]


class _Bool:
    """JSON true/false as token values: Python's True == 1 would file booleans with numbers."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_TRUE, _FALSE = _Bool("true"), _Bool("false")


def token_value(value: Any) -> Hashable:
    """Equal jsonb scalars give equal, equally hashed token values: 1, 1.0 and Decimal("1.00") hash alike."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    if kind is float:
        return Decimal(repr(value))
    if kind is Decimal and value.is_snan():
        return None  # unhashable and equal to nothing; any hashable stand-in is a harmless over-match
    return value


def _leaf_tokens(fragment: Any, path: Path, out: dict[Token, None]) -> None:
    if isinstance(fragment, Mapping):
        for key, item in fragment.items():
            _leaf_tokens(item, (*path, key), out)
    elif isinstance(fragment, (list, tuple)):
        for item in fragment:
            _leaf_tokens(item, path, out)
    else:
        out[(path, token_value(fragment))] = None


def leaf_tokens(fragment: Any) -> list[Token]:
    """The tokens every document containing ``fragment`` has, without repeats, in the fragment's order."""
    out: dict[Token, None] = {}
    _leaf_tokens(fragment, (), out)
    return list(out)


class _Node:
    __slots__ = ("children", "filed")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.filed: dict[Hashable, list[int]] = {}


_SCALAR_TYPES = frozenset({str, int, Decimal, float, bool, type(None)})


def _collect(value: Any, node: _Node, found: set[int]) -> None:
    """Add the filters filed under the leaves of ``value`` (found at ``node``'s path) to ``found``."""
    kind = type(value)
    if kind in _SCALAR_TYPES:
        if node.filed:
            positions = node.filed.get(token_value(value))
            if positions:
                found.update(positions)
    elif kind is list or kind is tuple:
        for item in value:
            _collect(item, node, found)
    elif kind is dict or isinstance(value, Mapping):
        children = node.children
        if len(children) <= len(value):  # walk the smaller side
            for key, child in children.items():
                if key in value:
                    _collect(value[key], child, found)
        else:
            for key, item in value.items():
                child = children.get(key)
                if child is not None:
                    _collect(item, child, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, node, found)
    elif node.filed:  # a subclass of a scalar type, e.g. a str enum
        positions = node.filed.get(token_value(value))
        if positions:
            found.update(positions)


class FilterIndex(Generic[K]):
    """The keys of the filters a message body matches, as the loop over every ``matches`` would give them.

    >>> index = FilterIndex([("a", {"formID": "x"}, None), ("b", {}, {"test": True})])
    >>> index.matching({"formID": "x"})
    ['a', 'b']
    """

    def __init__(self, entries: Iterable[tuple[K, Any, Any]]) -> None:
        self._keys: list[K] = []
        self._inclusions: list[Any] = []
        self._exclusions: list[Any] = []
        tokens_of_filter: list[list[Token]] = []
        filters_with: Counter[Token] = Counter()
        for key, inclusion, exclusion in entries:
            tokens = leaf_tokens(inclusion)
            filters_with.update(tokens)
            tokens_of_filter.append(tokens)
            self._keys.append(key)
            self._inclusions.append(inclusion)
            self._exclusions.append(exclusion)

        self._root = _Node()
        self._always: list[int] = []
        self._filed_under: list[Token | None] = []
        for position, tokens in enumerate(tokens_of_filter):
            if not tokens:
                self._always.append(position)
                self._filed_under.append(None)
                continue
            token = min(tokens, key=filters_with.__getitem__)  # first of the rarest: deterministic
            self._filed_under.append(token)
            path, value = token
            node = self._root
            for key in path:
                node = node.children.setdefault(key, _Node())
            node.filed.setdefault(value, []).append(position)

    def __len__(self) -> int:
        return len(self._keys)

    def placement(self) -> list[tuple[K, Token | None]]:
        """Where each filter is filed: its leaf token, or None for the filters checked against every body."""
        return list(zip(self._keys, self._filed_under))

    def candidates(self, body: Any) -> list[int]:
        """Positions of the filters that may match ``body``, in insertion order (a superset of the matches)."""
        found: set[int] = set(self._always)
        _collect(body, self._root, found)
        return sorted(found)

    def matching(self, body: Any) -> list[K]:
        """The keys whose filter ``matches(body, inclusion, exclusion)``, in insertion order."""
        keys, inclusions, exclusions = self._keys, self._inclusions, self._exclusions
        return [
            keys[position]
            for position in self.candidates(body)
            if matches(body, inclusions[position], exclusions[position])
        ]
