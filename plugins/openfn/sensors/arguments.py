"""The arguments of an inbox sensor or asset, checked when the DAG file is parsed: a project that exists
and filters that are JSON objects or arrays, so a mistake is an import error naming it, not a task that
waits for ever."""

from __future__ import annotations

import datetime
from typing import Any

from openfn.errors import OpenFnError
from openfn.matching import dumps_exact, parse_filter
from openfn.settings import get_settings


class InboxWatchArgumentError(OpenFnError, ValueError):
    """An inbox sensor or inbox asset that cannot work as written (raised when the DAG file is parsed)."""


def filter_text(value: Any, name: str, *, where: str) -> str | None:
    """The filter as JSON text (exact numbers), or None for no filter; raises with the fix if unusable."""
    if value is None:
        return None
    try:
        parsed = parse_filter(value)
    except ValueError as error:
        raise InboxWatchArgumentError(f"{where}: {name} is not a usable filter: {error}.",
                                      fix=f'pass a dict such as {name}={{"formId": "intake"}}, or its JSON text.') from None  # fmt: skip
    if not isinstance(parsed, (dict, list)):
        raise InboxWatchArgumentError(f"{where}: {name} must be a JSON object or array, not {type(parsed).__name__} {parsed!r}.",
                                      fix=f'pass a dict such as {name}={{"formId": "intake"}}: the body must contain it.')  # fmt: skip
    return dumps_exact(parsed)


def known_projects(wanted: str) -> set[str]:
    """The projects under ``[openfn] jobs_dir`` that load, read until ``wanted`` is found (its folder first)."""
    from openfn.readers.loader import load_projects

    jobs_dir = get_settings().jobs_dir
    return {project.name for project in load_projects(jobs_dir, only=wanted).projects} if jobs_dir.is_dir() else set()


def check_project(project: Any, *, where: str) -> str:
    if not isinstance(project, str) or not project.strip():
        raise InboxWatchArgumentError(f"{where}: project must be the name of an OpenFn project, not {project!r}.",
                                      fix="pass project='<name>', the name: of a project.yaml under [openfn] jobs_dir.")  # fmt: skip
    projects = known_projects(project)
    if project not in projects:
        listed = ", ".join(repr(name) for name in sorted(projects)) or "none"
        raise InboxWatchArgumentError(
            f"{where}: there is no OpenFn project {project!r} under {get_settings().jobs_dir} (projects: {listed}).",
            fix="name one of those projects, or add the project's folder to [openfn] jobs_dir.",
        )
    return project


def since_text(since: Any, *, where: str) -> str | None:
    if since is None:
        return None
    if isinstance(since, str):
        if "{{" in since:
            return since  # a template: rendered when the task runs
        try:
            since = datetime.datetime.fromisoformat(since)
        except ValueError:
            raise InboxWatchArgumentError(f"{where}: since={since!r} is not an ISO 8601 date and time.",
                                          fix="pass a datetime, or text such as '2026-01-31T00:00:00+00:00'.") from None  # fmt: skip
    if not isinstance(since, datetime.datetime):
        raise InboxWatchArgumentError(f"{where}: since must be a datetime, not {type(since).__name__}.", fix="pass a timezone-aware datetime.")
    if since.tzinfo is None:
        since = since.replace(tzinfo=datetime.timezone.utc)
    return since.isoformat()
