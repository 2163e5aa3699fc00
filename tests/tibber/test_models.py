"""Tibber's history as columns: the import's compact form of the hours."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from custom_components.powertracker.tibber import HourColumns, TibberClient
from loopback.tibber import HOMES, TibberSimulator
from tests.conftest import SIM_NOW

VILLA, _ = HOMES
START = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)


def _node(hour: int, energy: float | None, money: float | None) -> dict[str, object]:
    start = START + timedelta(hours=hour)
    return {
        "from": start.isoformat(),
        "to": (start + timedelta(hours=1)).isoformat(),
        "production": energy,
        "profit": money,
        "unitPrice": None,
        "currency": "EUR" if money is not None else None,
    }


def test_columns_keep_each_value_and_mark_the_missing() -> None:
    page = HourColumns.from_graphql(
        [_node(0, None, None), _node(1, 0.5, 0.25), _node(2, 0.0, None)], "production"
    )

    assert list(page.start) == [
        (START + timedelta(hours=h)).timestamp() for h in range(3)
    ]
    assert math.isnan(page.energy[0])
    assert list(page.energy[1:]) == [0.5, 0.0]
    assert math.isnan(page.money[0])
    assert page.money[1] == 0.25
    assert math.isnan(page.money[2])
    assert page.currency == "EUR"  # the first one named


def test_pages_join_oldest_first_and_keep_the_measured_hours() -> None:
    older = HourColumns.from_graphql(
        [_node(0, 1.0, None), _node(1, None, None)], "production"
    )
    newer = HourColumns.from_graphql(
        [_node(2, 3.0, 1.5), _node(3, 4.0, 2.0)], "production"
    )

    joined = HourColumns.join([older, newer])
    assert len(joined) == 4
    assert joined.currency == "EUR"
    assert len(HourColumns.join([])) == 0

    since = (START + timedelta(hours=1)).timestamp()
    measured = joined.measured_since(since)
    # The hour before `since` and the one without a reading are left out.
    assert list(measured.start) == [
        (START + timedelta(hours=h)).timestamp() for h in (2, 3)
    ]
    assert list(measured.energy) == [3.0, 4.0]
    assert list(measured.money) == [1.5, 2.0]


@pytest.mark.parametrize("kind", ["consumption", "production"])
async def test_history_as_columns_matches_the_meter(
    tibber: TibberClient, tibber_sim: TibberSimulator, kind: str
) -> None:
    columns = await tibber.history(kind, VILLA.id, 1000)

    assert len(columns) == 1000
    assert len(tibber_sim.http_requests) == 2  # 744 a page
    hour = timedelta(hours=1)
    last = SIM_NOW.replace(minute=0, second=0, microsecond=0) - hour
    assert columns.start[-1] == last.timestamp()
    assert all(b - a == 3600 for a, b in pairwise(columns.start))
    for i in (0, 500, 999):
        start = datetime.fromtimestamp(columns.start[i], UTC)
        truth = tibber_sim.energy(VILLA.id, start, start + hour, kind)
        assert columns.energy[i] == pytest.approx(truth, abs=1e-6)
        assert columns.money[i] > 0 or truth == 0
    assert columns.currency == "SEK"
