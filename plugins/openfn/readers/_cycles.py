"""The one cycle check of the readers: v1 flow/fail triggers (job -> the jobs it starts) and a workflow's
edges (step -> step) are both directed graphs that must not loop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycle(children: Mapping[str, Iterable[str]], nodes: Iterable[str] = ()) -> list[str] | None:
    """A cycle as the path that closes it (``['a', 'b', 'a']``), or None; ``nodes`` first, in their order."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for child in children.get(node, ()):
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if child not in state:
                found = visit(child, path + [child])
                if found:
                    return found
        state[node] = 2
        return None

    for node in [*nodes, *children]:
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None
