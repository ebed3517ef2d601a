"""Reading project.yaml safely: bounded size, bounded alias expansion, and errors at the line that is wrong.

A few hundred bytes of YAML anchors and aliases can describe billions of values ("billion laughs"), so
the document is first composed into its node graph (aliases are shared nodes there, so this is cheap),
the size it would have once expanded is counted, and only a document within bounds is constructed.
"""

from __future__ import annotations

from typing import Any

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """Safe loading, except that a mapping key is always the text written: a job or workflow named `off`,
    `yes` or `2026-08-27` keeps that name (YAML 1.1 would make it a boolean or a date)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            return {
                (key.value if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:null" else self.construct_object(key, deep=deep)):
                self.construct_object(value, deep=deep)
                for key, value in node.value
            }  # fmt: skip
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True))
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000
# Scanner errors whose problem is noticed after the real mistake: the context names the right line.
_CONTEXT_FIRST = ("while scanning a simple key", "while scanning a quoted scalar", "while scanning a block scalar",
                  "while scanning a plain scalar", "while scanning an anchor", "while scanning an alias",
                  "while parsing a flow mapping", "while parsing a flow sequence")  # fmt: skip


class YamlProblem(ValueError):
    """The text is not a document we load; ``str()`` says where and why, ``fix`` what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.fix = fix


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes once every alias is expanded; raises YamlProblem past the bound or on a cycle."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise YamlProblem("has an alias that refers to itself", fix="remove the recursive anchor/alias.")
        on_path.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        on_path.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise YamlProblem(
                f"expands to more than {MAX_EXPANDED_NODES:,} values through its anchors and aliases",
                fix="write the values out, or use fewer nested aliases.",
            )
        sizes[key] = total
        return total

    return size(root)


def _where(error: yaml.YAMLError, text: str) -> str:
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    context = getattr(error, "context", None) or ""
    mark = context_mark if context_mark is not None and context.startswith(_CONTEXT_FIRST) else problem_mark
    if mark is None:
        return f"({getattr(error, 'problem', None) or error})"
    lines = text.splitlines()
    snippet = lines[mark.line].strip() if mark.line < len(lines) else ""
    snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
    problem = getattr(error, "problem", None) or str(error)
    detail = f" ({context})" if context else ""
    shown = f": `{snippet}`" if snippet else ""
    return f"at line {mark.line + 1}, column {mark.column + 1}{shown}: {problem}{detail}"


def load_yaml(text: str) -> Any:
    """The document in ``text`` (None when empty), or YamlProblem."""
    if len(text) > MAX_FILE_BYTES:
        raise YamlProblem(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", fix="split the project or move job code into files.")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        raise YamlProblem(f"is not valid YAML {_where(error, text)}", fix="correct the YAML there.") from None
    finally:
        loader.dispose()
