"""Bundle entries in upload order: a resource another entry references comes before it (OpenFn's sortBundle)."""

from __future__ import annotations

from collections import deque
from typing import Any


def references(value: Any) -> set[str]:
    """Every ``{"reference": "Type/id"}`` inside a resource."""
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.add(value["reference"])
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def sort_entries(entries: list[dict]) -> list[dict]:
    """Kahn's algorithm seeded in the original order; entries caught in a reference cycle keep theirs at the end."""
    index = {}
    for position, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        if resource.get("resourceType") and resource.get("id"):
            index[f"{resource['resourceType']}/{resource['id']}"] = position
    dependents: list[list[int]] = [[] for _ in entries]
    waiting = [0] * len(entries)
    for position, entry in enumerate(entries):
        for needed in {index[ref] for ref in references(entry.get("resource")) if ref in index} - {position}:
            dependents[needed].append(position)
            waiting[position] += 1
    queue = deque(position for position in range(len(entries)) if waiting[position] == 0)
    order: list[int] = []
    while queue:
        position = queue.popleft()
        order.append(position)
        for dependent in dependents[position]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                queue.append(dependent)
    order += [position for position in range(len(entries)) if position not in set(order)]
    return [entries[position] for position in order]
