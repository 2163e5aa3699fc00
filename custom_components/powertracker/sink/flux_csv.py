"""InfluxDB 2.x query answers: its (annotated) CSV, read into one dict per row.

Pure, free of Home Assistant; `flux` reads its answers with it. The format
(InfluxDB's "annotated CSV"): tables one after another, a blank line wherever
the columns change and a header row after it, optional ``#datatype``,
``#group`` and ``#default`` annotation rows before a header, and a first column
that only annotations use (a ``#default`` row fills a table's empty cells).
A query that fails after the answer began (HTTP 200
already sent) ends in a table of columns ``error`` and ``reference``: that is
a `FluxCsvError`, never rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

_ERROR_COLUMNS = frozenset({"error", "reference"})


class FluxCsvError(ValueError):
    """The answer is an error table, or not CSV; the message is InfluxDB's text."""


def records(text: str) -> Iterator[dict[str, str]]:
    """Each data row of every table, by column name (cells as text)."""
    header: list[str] | None = None
    defaults: list[str] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if not row or row[0].startswith("#"):
                header = None  # a new table (and its header) follows
                if row and row[0] == "#default":
                    defaults = ["", *row[1:]]
                elif not row:
                    defaults = []
            elif header is None:
                header = row
            else:
                found = {
                    name: cell or (defaults[i] if i < len(defaults) else "")
                    for i, (name, cell) in enumerate(zip(header, row, strict=False))
                }
                if found.keys() >= _ERROR_COLUMNS:
                    raise FluxCsvError(found["error"] or "error table without text")
                yield found
    except csv.Error as err:
        raise FluxCsvError(f"unreadable CSV: {err}") from None
