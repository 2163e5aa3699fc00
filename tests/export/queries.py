"""Hypothesis strategy of export query strings, shared by the parse and HTTP fuzzes."""

from __future__ import annotations

from hypothesis import strategies as st

from custom_components.powertracker.export.params import PARAMETERS

KEYS = [*PARAMETERS, "authSig", "x"]
VALUES = [
    "csv", "png", "hist", "lineplot", "5m", "1h", "1d", "1w", "1M",
    "2026-02-29", "2024-02-29", "2026-03-29T02:30", "2026-11-26",
    "2026-11-27T23:30:00+05:30", "2000-01-01", "2100-12-31",
    "9999-12-31T23:59:59+14:00", "99999999999999999999", "0", "-1", "-0", "200", "4096",
]  # fmt: skip


def queries(*known: str) -> st.SearchStrategy[dict[str, str]]:
    """Query dicts of export keys (and one unknown) with odd and valid values."""
    values = st.one_of(
        st.text(max_size=40),
        st.sampled_from([*VALUES, *known]),
        st.integers(-(10**6), 10**6).map(str),
    )
    return st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
