"""Typed access to the raw YAML mapping, raising ProjectError with the file and key path on any mistake."""

from __future__ import annotations

import contextlib
import difflib
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openfn.errors import ProjectError

log = logging.getLogger("openfn.readers")

JOB_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
PROJECT_NAME = re.compile(r"^[a-z0-9_-]+$")
CLI_FILE = "openfn.yaml"  # the CLI's checked-out project folder (workflows/ beside it)


class Reader:
    """Reads one project file; every error it raises names ``file`` and the key path.

    Parsing goes on after an error, one section entry at a time (``guard``), so a file with several
    mistakes reports them all at once; ``broken`` remembers the entries that failed, so that what refers
    to them is not reported a second time.
    """

    def __init__(self, file: Path, *, compile_only: str | None = None) -> None:
        self.file = file
        # At a task start only the job about to run needs its code checked (see builder.dags.build_dags).
        self.compile_only = compile_only
        self.partial = False  # only part of the file is read (a task start): references out of it are not checked
        self.errors: list[ProjectError] = []
        self.warnings: list[ProjectError] = []  # read and changed on the way, nothing stopped (Project.warnings)
        self.broken: set[str] = set()

    def error(self, key: str, problem: str, *, value: Any = None, fix: str = "") -> ProjectError:
        return ProjectError(str(self.file), key, problem, value=value, fix=fix)

    def warn(self, key: str, problem: str, *, value: Any = None, fix: str = "") -> None:
        self.warnings.append(self.error(key, problem, value=value, fix=fix))

    @contextlib.contextmanager
    def guard(self, entry: str | None = None) -> Iterator[None]:
        """Record a ProjectError raised inside instead of stopping; ``entry`` (e.g. 'triggers.t') is broken."""
        try:
            yield
        except ProjectError as error:
            self.errors.append(error)
            if entry is not None:
                self.broken.add(entry)

    def mapping(self, value: Any, key: str, *, fix: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, "must be a mapping", value=value, fix=fix)
        return value

    def string(self, value: Any, key: str, *, fix: str, pattern: re.Pattern | None = None) -> str:
        if value is None:
            raise self.error(key, "is missing", fix=fix)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string", value=value, fix=fix)
        if pattern is not None and not pattern.fullmatch(value):  # fullmatch: "x\n" passes `$` but is not a name
            raise self.error(key, f"must match {pattern.pattern}", value=value, fix=fix)
        return value

    def boolean(self, value: Any, key: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false", value=value, fix=f"write `{key.rsplit('.', 1)[-1]}: true` or `false`.")
        return value

    def number(self, value: Any, key: str, default: float, *, minimum: float, integer: bool) -> Any:
        if value is None:
            return default
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
            what = "a whole number" if integer else "a number"
            raise self.error(key, f"must be {what} >= {minimum:g}", value=value, fix=f"set it to {what} such as {default:g}.")
        return value

    def check_keys(self, data: dict, key: str, known: Iterable[str]) -> None:
        """Unknown keys that look like a typo of a known one are errors (all of them are reported);
        others are logged and ignored (exports from OpenFn may carry keys this product has no use for)."""
        known = list(known)
        typos = []
        for name in data:
            if name in known:
                continue
            where = f"{key}.{name}" if key else str(name)
            close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.75)
            if close:
                typos.append(self.error(where, "is not a known key", fix=f"did you mean `{close[0]}`?"))
            else:
                log.warning("%s: %s: unknown key ignored (known keys: %s)", self.file, where, ", ".join(known))
        if typos:
            self.errors.extend(typos[:-1])
            raise typos[-1]
