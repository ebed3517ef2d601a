"""``parse_csv``: CSV text or a stream read with the standard library, in chunks of records.

Options mirror csv-parse's as language-common sets them (columns, trimming, no empty lines); the text is
read by ``_csv_records`` as csv-parse reads it (delimiters of several characters, its error messages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from openfn.adaptors._args import describe, is_function, named, require_function
from openfn.adaptors._references import resolve
from openfn.adaptors._csv_records import CsvError, split_records
from openfn.adaptors._state import compose_next_state
from openfn.errors import OperationArgumentError

Operation = Callable[[dict], dict]
OPTIONS = ("delimiter", "quote", "escape", "columns", "bom", "trim", "ltrim", "rtrim", "skip_empty_lines")


def _text(data: Any, bom: bool) -> str:
    """The CSV text of a string, bytes (UTF-8), a text stream or an iterable of lines."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    elif hasattr(data, "read"):
        data = data.read()
    elif not isinstance(data, str) and isinstance(data, Iterable):
        data = "".join(data)
    if not isinstance(data, str):
        raise TypeError(f"parse_csv(): the CSV data is {describe(data)}, not text, bytes or a stream of lines.")
    return data.removeprefix("\ufeff") if bom else data


def records(data: Any, *, delimiter: str = ",", quote: str = '"', escape: str | None = '"', columns: Any = True,
            bom: bool = True, trim: bool = True, ltrim: bool = True, rtrim: bool = True,
            skip_empty_lines: bool = True) -> Iterator[dict[str, str] | list[str]]:
    """Each record: a dict by column name (``columns`` True: the first line names them; or a list), or a list."""
    header = list(columns) if isinstance(columns, list | tuple) else None
    names = list(header or [])  # filled in once the first line names the columns (error messages use them)
    found = split_records(_text(data, bom), delimiter=delimiter, quote=quote, escape=escape, ltrim=trim or ltrim, rtrim=trim or rtrim, names=names)
    for row, line in found:
        if row == [""] and skip_empty_lines:
            continue
        if columns is True and header is None:
            header = names[:] = row
        elif header is None:
            yield row
        elif len(row) != len(header):
            raise CsvError(f"Invalid Record Length: columns length is {len(header)}, got {len(row)} on line {line}")
        else:
            yield dict(zip(header, row, strict=True))


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
    value = options.get("delimiter")
    if isinstance(value, str) and not value:
        raise OperationArgumentError("parse_csv() needs at least one character for `delimiter`, got str ''.", fix="Pass the text between fields, such as ',' or ';'.")


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
