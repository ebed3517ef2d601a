"""``parse_csv``: CSV text or a stream read with the standard library, in chunks of records.

Options mirror csv-parse's as language-common sets them (columns, trimming, no empty lines).
Trimming strips each parsed field, so it also trims spaces inside quotes, where csv-parse keeps them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from openfn.adaptors._args import describe, is_function, named, require_function
from openfn.adaptors._references import resolve
from openfn.adaptors._state import compose_next_state
from openfn.errors import OperationArgumentError

Operation = Callable[[dict], dict]
OPTIONS = ("delimiter", "quote", "escape", "columns", "bom", "trim", "ltrim", "rtrim", "skip_empty_lines")


def _lines(data: Any, bom: bool) -> Iterator[str]:
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if not isinstance(data, str | Iterable):
        raise TypeError(f"parse_csv(): the CSV data is {describe(data)}, not text, bytes or a stream of lines.")
    lines: Iterable[str] = io.StringIO(data, newline="") if isinstance(data, str) else data
    for number, line in enumerate(lines):
        yield line.removeprefix("\ufeff") if bom and number == 0 else line


def records(data: Any, *, delimiter: str = ",", quote: str = '"', escape: str | None = '"', columns: Any = True,
            bom: bool = True, trim: bool = True, ltrim: bool = True, rtrim: bool = True,
            skip_empty_lines: bool = True) -> Iterator[dict[str, str] | list[str]]:
    """Each record: a dict by column name (``columns`` True: the first line names them; or a list), or a list."""
    doubled = escape == quote
    reader = csv.reader(_lines(data, bom), delimiter=delimiter, quotechar=quote, doublequote=doubled,
                        escapechar=None if doubled or not escape else escape)
    header = list(columns) if isinstance(columns, list | tuple) else None
    for row in reader:
        if not row:
            if skip_empty_lines:
                continue
            row = [""]
        row = [_trimmed(cell, trim or ltrim, trim or rtrim) for cell in row]
        if columns is True and header is None:
            header = row
        elif header is None:
            yield row
        elif len(row) != len(header):
            raise ValueError(f"Invalid Record Length: columns length is {len(header)}, got {len(row)} on line {reader.line_num}")
        else:
            yield dict(zip(header, row, strict=True))


def _trimmed(cell: str, left: bool, right: bool) -> str:
    cell = cell.lstrip() if left else cell
    return cell.rstrip() if right else cell


def parse_csv(csv_data: Any, callback: Callable[[dict, list], dict] | None = None, *, chunk_size: Any = None, **options: Any) -> Operation:
    """Parse CSV text (or bytes, a text stream, lines) into records, ``chunk_size`` at a time.

    Each chunk goes to ``callback(state, rows)``, which returns the next state; without one, each
    chunk becomes ``data`` through ``compose_next_state``. Options (values or functions of state):
    ``delimiter=','``, ``quote='"'``, ``escape='"'``, ``columns=True`` (first line is the header; a
    list names the columns; False gives lists), ``bom=True``, ``trim``/``ltrim``/``rtrim=True``,
    ``skip_empty_lines=True``, ``chunk_size`` (default: all records in one chunk).

    Example:
        operations = [parse_csv(data_value("file"), lambda state, rows: {**state, "patients": rows}, chunk_size=500)]
    """
    _check_options(options)
    _check_chunk_size(chunk_size, build=True)
    if callback is not None:
        require_function("parse_csv", "callback", callback, fix="Pass a function taking (state, rows) and returning the next state.")

    @named("parse_csv")
    def parse(state: dict) -> dict:
        data, size, resolved = resolve(state, [csv_data, chunk_size, options])
        _check_chunk_size(size, build=False)
        result, rows = state, []
        for record in records(data, **resolved):
            rows.append(record)
            if len(rows) == size:
                result, rows = _flush(result, rows, callback), []
        return _flush(result, rows, callback) if rows else result

    return parse


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise OperationArgumentError(f"parse_csv() got unknown options: {', '.join(unknown)}.", fix=f"Use only: {', '.join([*OPTIONS, 'chunk_size'])}.")
    for name in ("delimiter", "quote", "escape"):
        value = options.get(name)
        if isinstance(value, str) and len(value) != 1:
            raise OperationArgumentError(f"parse_csv() needs a single character for `{name}`, got {describe(value)}.", fix="The standard csv module reads one-character delimiters, quotes and escapes.")


def _flush(state: dict, rows: list, callback: Callable[[dict, list], dict] | None) -> dict:
    return callback(state, rows) if callback else compose_next_state(state, rows)


def _check_chunk_size(size: Any, *, build: bool) -> None:
    if size is None or (build and is_function(size)):
        return
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        message = f"parse_csv() needs a whole number of at least 1 for `chunk_size`, got {describe(size)}."
        if build:
            raise OperationArgumentError(message, fix="Pass how many records each chunk holds, or leave it out for one chunk.")
        raise ValueError(message)
