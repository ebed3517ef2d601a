"""CSV text to records, read as csv-parse (language-common's parser) reads it with OpenFn's options.

What differs from Python's ``csv`` module, and why this is our own reader: a delimiter may be several
characters; trimming takes the spaces around a field, never those inside its quotes; a line of spaces is an
empty line; and malformed quoting fails with csv-parse's messages instead of being read leniently.
"""

from __future__ import annotations

from collections.abc import Iterator

TRIMMED = " \t\f\v"


class CsvError(ValueError):
    """The text is not CSV under the options given (csv-parse's message)."""


def split_records(text: str, *, delimiter: str = ",", quote: str = '"', escape: str | None = '"', ltrim: bool = True,
                  rtrim: bool = True, names: list[str] | None = None) -> Iterator[tuple[list[str], int]]:  # fmt: skip
    """Each record's fields and the line it ended on. A line holding nothing but trimmed spaces is ``[""]``.

    ``names`` (the columns, once known) only serve the error messages, which name a field by its column.
    """
    reader = _Reader(text, delimiter, quote, escape, ltrim, rtrim)
    while reader.position < len(text):
        yield reader.record(names), reader.line
        reader.end_of_record()


class _Reader:
    def __init__(self, text: str, delimiter: str, quote: str, escape: str | None, ltrim: bool, rtrim: bool) -> None:
        self.text, self.delimiter, self.quote, self.escape = text, delimiter, quote, escape
        self.ltrim, self.rtrim = ltrim, rtrim
        self.position, self.line = 0, 1

    def at_record_end(self) -> bool:
        return self.position >= len(self.text) or self.text[self.position] in "\r\n"

    def at_delimiter(self) -> bool:
        return self.text.startswith(self.delimiter, self.position)

    def skip_trimmed(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in TRIMMED:
            self.position += 1

    def record(self, names: list[str] | None) -> list[str]:
        fields: list[str] = []
        while True:
            fields.append(self.field(names, len(fields)))
            if not self.at_delimiter():
                return fields
            self.position += len(self.delimiter)

    def end_of_record(self) -> None:
        text = self.text
        if self.position < len(text):
            self.position += 2 if text.startswith("\r\n", self.position) else 1
            if self.position < len(text):
                self.line += 1

    def field(self, names: list[str] | None, index: int) -> str:
        if self.ltrim:
            self.skip_trimmed()
        if self.quote and self.text.startswith(self.quote, self.position):
            return self.quoted()
        start, text = self.position, self.text
        while not self.at_record_end() and not self.at_delimiter():
            if self.quote and text.startswith(self.quote, self.position):
                name = f'"{names[index]}"' if names and index < len(names) else str(index)
                raise CsvError(f'Invalid Opening Quote: a quote is found on field {name} at line {self.line}, value is "{text[start:self.position]}"')
            self.position += 1
        value = text[start : self.position]
        return value.rstrip(TRIMMED) if self.rtrim else value

    def quoted(self) -> str:
        text, quote, escape = self.text, self.quote, self.escape
        self.position += len(quote)
        value: list[str] = []
        while True:
            if self.position >= len(text):
                raise CsvError(f"Quote Not Closed: the parsing is finished with an opening quote at line {self.line}")
            if escape and text.startswith(escape, self.position) and text.startswith(quote, self.position + len(escape)):
                value.append(quote)
                self.position += len(escape) + len(quote)
                continue
            if text.startswith(quote, self.position):
                self.position += len(quote)
                break
            char = text[self.position]
            if char == "\n" or (char == "\r" and not text.startswith("\r\n", self.position)):
                self.line += 1
            value.append(char)
            self.position += 1
        if self.rtrim:
            self.skip_trimmed()
        if not (self.at_record_end() or self.at_delimiter()):
            raise CsvError(
                f'Invalid Closing Quote: got "{text[self.position]}" at line {self.line} instead of delimiter, '
                "record delimiter, trimable character (if activated) or comment"
            )
        return "".join(value)
