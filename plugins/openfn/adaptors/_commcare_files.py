"""What commcare uploads besides JSON: XForms as XML (as js2xmlparser writes them) and XLSX workbooks."""

from __future__ import annotations

import io
import json
from typing import Any
from xml.etree import ElementTree


def xform(data: dict, root: str = "data") -> str:
    """``data`` as an XForm instance: '@' holds attributes, '#' text, lists repeat their element.

    ``{"@": {"xmlns": "http://openrosa.org/formdesigner/x"}, "name": "Ann"}`` becomes
    ``<?xml version='1.0'?><data xmlns="http://openrosa.org/formdesigner/x"><name>Ann</name></data>``.
    """
    element = ElementTree.Element(root)
    _fill(element, data)
    return "<?xml version='1.0'?>" + ElementTree.tostring(element, encoding="unicode")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if not isinstance(value, dict):
        element.text = _text(value)
        return
    for key, item in value.items():
        if key == "@":
            for name, attribute in (item or {}).items():
                element.set(name, _text(attribute))
        elif key == "#":
            element.text = _text(item)
        else:
            for entry in item if isinstance(item, list) else [item]:
                _fill(ElementTree.SubElement(element, key), entry)


def workbook(sheets: dict[str, list[dict]]) -> bytes:
    """An .xlsx file with one sheet per entry: a header row of every key met (first-seen order), then rows.

    Objects and lists are written as JSON text, as OpenFn's FormData encoding does.
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(title=str(name)[:31])
        columns: list[str] = []
        for row in rows:
            columns.extend(key for key in row if key not in columns)
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(column)) for column in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
