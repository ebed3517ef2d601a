"""JSONPath filter expressions (``[?(@.active && @.age > 18)]``) evaluated as jsonpath-plus evaluates them in
JavaScript: JavaScript truthiness (an empty list is true, 0 and '' are false), ``&&``, ``||``, ``!``, loose
``==`` and strict ``===``, and a TypeError when a filter reads a property of a missing value, as in a job
written in JavaScript.
"""

from __future__ import annotations

import math
import re
from typing import Any

from openfn.adaptors._values import UNDEFINED, js_truthy

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!()\[\].@$-])|(?P<name>[A-Za-z_][\w]*))"
)
_LITERALS = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}


class FilterSyntaxError(ValueError):
    """A filter this evaluator does not read (function calls, arithmetic, regular expressions)."""


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise FilterSyntaxError(f"cannot read {text[position:]!r} in the filter {text!r}")
        kind = found.lastgroup
        value = found.group(kind)
        if kind == "number":
            value = float(value) if "." in value else int(value)
        elif kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        position = found.end()
    return tokens


class Expression:
    """A parsed filter: ``Expression('@.age > 18').matches(item, root)``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.tree = self._or()
        if self.position != len(self.tokens):
            raise FilterSyntaxError(f"unexpected {self.tokens[self.position][1]!r} in the filter {text!r}")

    # --- parsing (precedence climbing into nested tuples) ------------------------------------------------
    def _peek(self) -> Any:
        return self.tokens[self.position][1] if self.position < len(self.tokens) and self.tokens[self.position][0] == "op" else None

    def _take(self) -> tuple[str, Any]:
        if self.position >= len(self.tokens):
            raise FilterSyntaxError(f"the filter {self.text!r} ends too early")
        self.position += 1
        return self.tokens[self.position - 1]

    def _binary(self, operators: tuple[str, ...], operand) -> Any:
        node = operand()
        while self._peek() in operators:
            operator = self._take()[1]
            node = (operator, node, operand())
        return node

    def _or(self) -> Any:
        return self._binary(("||",), self._and)

    def _and(self) -> Any:
        return self._binary(("&&",), self._equality)

    def _equality(self) -> Any:
        return self._binary(("===", "!==", "==", "!="), self._relation)

    def _relation(self) -> Any:
        return self._binary(("<", "<=", ">", ">="), self._unary)

    def _unary(self) -> Any:
        if self._peek() in ("!", "-"):
            return (self._take()[1] + "unary", self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, value = self._take()
        if kind in ("number", "string"):
            return ("literal", value)
        if kind == "name" and value in _LITERALS:
            return ("literal", _LITERALS[value])
        if value == "(":
            node = self._or()
            if self._take()[1] != ")":
                raise FilterSyntaxError(f"a '(' is not closed in the filter {self.text!r}")
            return node
        if value in ("@", "$"):
            keys = []
            while self._peek() in (".", "["):
                if self._take()[1] == ".":
                    keys.append(self._take()[1])
                else:
                    keys.append(self._take()[1])
                    if self._take()[1] != "]":
                        raise FilterSyntaxError(f"a '[' is not closed in the filter {self.text!r}")
            if self._peek() == "(":
                raise FilterSyntaxError(f"function calls are not supported in the filter {self.text!r}")
            return ("path", value, keys)
        raise FilterSyntaxError(f"unexpected {value!r} in the filter {self.text!r}")

    # --- evaluation ---------------------------------------------------------------------------------------
    def matches(self, item: Any, root: Any) -> bool:
        return js_truthy(self._value(self.tree, item, root))

    def _value(self, node: tuple, item: Any, root: Any) -> Any:
        kind = node[0]
        if kind == "literal":
            return node[1]
        if kind == "path":
            value = item if node[1] == "@" else root
            for key in node[2]:
                value = member(value, key)
            return value
        if kind == "!unary":
            return not js_truthy(self._value(node[1], item, root))
        if kind == "-unary":
            return -number(self._value(node[1], item, root))
        left = self._value(node[1], item, root)
        if kind == "&&":
            return self._value(node[2], item, root) if js_truthy(left) else left
        if kind == "||":
            return left if js_truthy(left) else self._value(node[2], item, root)
        right = self._value(node[2], item, root)
        if kind in ("===", "!=="):
            return strict_equal(left, right) == (kind == "===")
        if kind in ("==", "!="):
            return loose_equal(left, right) == (kind == "==")
        return compare(kind, left, right)


def member(value: Any, key: Any) -> Any:
    """``value[key]`` in JavaScript: undefined when absent, a TypeError on null or undefined."""
    if value is None or value is UNDEFINED:
        raise TypeError(f"Cannot read properties of {'null' if value is None else 'undefined'} (reading '{key}')")
    if isinstance(value, dict):
        return value.get(str(key), UNDEFINED)
    if isinstance(value, list | str):
        if key == "length":
            return len(value)
        text = str(key)
        if text.isdigit() and int(text) < len(value):
            return value[int(text)]
    return UNDEFINED


def number(value: Any) -> float:
    """``Number(value)``."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0
        except ValueError:
            return math.nan
    return math.nan


def strict_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return left is right
    return type(left) is type(right) and left == right


def loose_equal(left: Any, right: Any) -> bool:
    nullish = (None, UNDEFINED)
    if left in nullish or right in nullish:
        return left in nullish and right in nullish
    if type(left) is type(right) or (isinstance(left, int | float) and isinstance(right, int | float) and not isinstance(left, bool) and not isinstance(right, bool)):
        return strict_equal(left, right)
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False  # objects are compared with their text in JavaScript; filters on that are not supported
    return number(left) == number(right)


def compare(operator: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a, b = left, right
    else:
        a, b = number(left), number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]
