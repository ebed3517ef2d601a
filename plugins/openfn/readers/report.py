"""Problems as people read them: one line per kind of problem, not one per step.

A production export names about twenty adaptor versions over some forty steps; when they are not installed,
one line per missing version (the steps that need it, and the one command that installs them all) says what
forty lines would. Problems of no group are shown one by one, as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from openfn.errors import ProjectError

MISSING_ADAPTOR = "missing_adaptor"
INSTALL_ALL = "make adaptors"
SHOWN_STEPS = 8  # steps named per line; the rest are counted


def grouped(problems: Iterable[ProjectError]) -> list[str]:
    """The problems' lines: each ungrouped problem as it is, then one line per (file, kind, subject)."""
    lines: list[str] = []
    groups: dict[tuple[str, str, str], list[ProjectError]] = {}
    for problem in problems:
        if problem.group is None:
            lines.append(str(problem))
        else:
            groups.setdefault((problem.file, *problem.group), []).append(problem)
    for (file, kind, subject), members in groups.items():
        lines.append(_line(file, kind, subject, members))
    return lines


def _line(file: str, kind: str, subject: str, members: list[ProjectError]) -> str:
    if len(members) == 1 and kind != MISSING_ADAPTOR:
        return str(members[0])
    steps = [_step(problem.key) for problem in members]
    named = ", ".join(steps[:SHOWN_STEPS]) + (f" and {len(steps) - SHOWN_STEPS} more" if len(steps) > SHOWN_STEPS else "")
    if kind == MISSING_ADAPTOR:
        needed = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
        return (f"{file}: {subject} is not installed; {needed} need{'s' if len(steps) == 1 else ''} it ({named}). "
                f"Fix: run `{INSTALL_ALL}`: it installs every adaptor version the projects name that is missing.")  # fmt: skip
    first = members[0]
    return f"{file}: {first.problem} ({len(steps)} places: {named}). Fix: {first.fix}"


def _step(key: str) -> str:
    """'workflows.intake.jobs.fetch-case.adaptor' -> 'intake/fetch-case'; 'jobs.register.adaptor' -> 'register'."""
    parts = key.removesuffix(".adaptor").split(".")
    if len(parts) >= 4 and parts[0] == "workflows":
        return f"{parts[1]}/{parts[-1]}"
    return parts[-1]
