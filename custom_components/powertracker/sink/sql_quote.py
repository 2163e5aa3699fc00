"""Quoting names and text into SQL, for the InfluxDB 3 and Timestream readers.

Pure, free of Home Assistant. Both speak standard SQL here (InfluxDB 3's
DataFusion, Timestream's Presto-like dialect): an identifier in double quotes
with each ``"`` doubled, a string literal in single quotes with each ``'``
doubled, and a backslash as an ordinary character in both. Neither server
takes query parameters, so every value a query compares against goes through
`literal`, every configurable name through `identifier`.
"""

from __future__ import annotations


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier (a table, column or database)."""
    if "\x00" in name:
        raise ValueError("an SQL name cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as an SQL string literal."""
    if "\x00" in text:
        raise ValueError("an SQL string cannot contain NUL")
    return "'" + text.replace("'", "''") + "'"
