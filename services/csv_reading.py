"""A shipments CSV as a stream of records, read line by line (never the whole file at once):
UTF-8 checked line by line, quotes that are never closed found, each record numbered as a
spreadsheet shows it (the header is row 1). Nothing here knows what a shipment is;
services.csv_import turns the records into shipments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import BinaryIO

# What read_csv takes: the text, the file's bytes, or a binary file open for reading.
Source = str | bytes | BinaryIO | Iterable[bytes]
# Lines of one record kept to find the column of a broken quote: the quote opens early in
# the record; an unclosed one would otherwise keep the rest of the file.
KEPT_LINES = 50


QUOTE_SWALLOWED_ROWS = (
    "a quote opened in this column is not closed where the value ends, so the rows after "
    "it were read into this one value: close the quote (a quote inside a value is written "
    'twice: "")'
)


class BrokenFile(Exception):
    """The file cannot be read past this point. `column` is a position in the header (0 is
    the first column) or None when the whole row is at fault."""

    def __init__(self, row: int, column: int | None, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.message = message


class _NotUtf8(Exception):
    def __init__(self, line: bytes, at: int, first_line: bool) -> None:
        self.line, self.at, self.first_line = line, at, first_line


class _Lines:
    """The file's lines as text, keeping the lines of the record being read."""

    def __init__(self, source: Source) -> None:
        if isinstance(source, str):
            self._raw: Iterable[str | bytes] = io.StringIO(source)
        elif isinstance(source, bytes | bytearray):
            self._raw = io.BytesIO(source)
        else:
            self._raw = source
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self._raw:
            if isinstance(raw, bytes):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise _NotUtf8(raw, error.start, first) from None
            else:
                line = raw
            if first:
                line = line.removeprefix("\ufeff")  # Excel's "CSV UTF-8" starts with a BOM
                first = False
            if len(self.record) < KEPT_LINES:
                self.record.append(line)
            yield line


def records(source: Source) -> Iterator[tuple[int, list[str]]]:
    """Each record with its row number, the header first (row 1). Raises BrokenFile where
    the file stops being readable: bytes that are not UTF-8, a quote never closed, a quote
    followed by more text."""
    lines = _Lines(source)
    reader = csv.reader(lines, strict=True)
    row = 0
    while True:
        lines.record = []
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _NotUtf8 as error:
            raise BrokenFile(row + 1, _column_at(error.line, error.at), _not_utf8(error)) from None
        except csv.Error as error:
            raise _unreadable(row + 1, "".join(lines.record), str(error)) from None
        row += 1
        yield row, fields


def _not_utf8(error: _NotUtf8) -> str:
    bad = error.line[error.at : error.at + 1].hex().upper()
    return (
        f"the file is not UTF-8 text (byte 0x{bad} here): the file looks like "
        f"{_looks_like(error.line, error.first_line)}: save it as UTF-8 (in Excel: Save As, "
        "CSV UTF-8) and upload it again"
    )


def _looks_like(line: bytes, first_line: bool) -> str:
    if first_line and line[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return 'UTF-16 (Excel\'s "Unicode text")'
    try:
        line.decode("cp1252")
    except UnicodeDecodeError:
        return "Latin-1 (ISO-8859-1)"
    return "Windows-1252 (Latin-1)"


def _column_at(line: bytes, at: int) -> int:
    """The column a byte of a line falls in."""
    before = line[:at].decode("cp1252", errors="replace")
    return _field_index(before, len(before))


def _unreadable(row: int, text: str, reason: str) -> BrokenFile:
    column = _broken_quote_column(text)
    if reason.startswith("unexpected end of data"):
        return BrokenFile(
            row,
            column,
            "a quote opened in this column is never closed, so the rest of the file would "
            'be read into it: close the quote (a quote inside a value is written twice: "")',
        )
    if "expected after" in reason and text.count("\n") > 1:
        # The quote closes rows after it opened: the rows between were read into the value.
        return BrokenFile(row, column, QUOTE_SWALLOWED_ROWS)
    if "expected after" in reason:
        return BrokenFile(
            row,
            column,
            "a quoted value is followed by more text: put the whole value in quotes and "
            'write each quote inside it twice ("")',
        )
    if "new-line character" in reason:
        return BrokenFile(
            row,
            None,
            "the lines end in a way a CSV file does not (a lone carriage return): save the "
            "file again as CSV UTF-8",
        )
    return BrokenFile(row, column, f"cannot be read as CSV ({reason}): save it as CSV UTF-8")


def _field_index(text: str, upto: int) -> int:
    """The column (0 first) that position `upto` of a record's text falls in."""
    column, quoted = 0, False
    for ch in text[:upto]:
        if ch == '"':
            quoted = not quoted  # a doubled quote toggles twice
        elif ch == "," and not quoted:
            column += 1
    return column


def _broken_quote_column(text: str) -> int:
    """The column (0 first) of a record whose quote is opened and never closed, or closed
    and followed by more text."""
    column, quoted, at_start, closed = 0, False, True, False
    for ch in text:
        if quoted:
            if ch == '"':
                quoted, closed = False, True
            continue
        if closed:
            closed = False
            if ch == '"':  # "" inside a quoted value
                quoted = True
                continue
            if ch == ",":
                column, at_start = column + 1, True
                continue
            if ch in "\r\n":
                continue
            return column
        if ch == ",":
            column, at_start = column + 1, True
        elif ch == '"' and at_start:
            quoted, at_start = True, False
        else:
            at_start = False
    return column
