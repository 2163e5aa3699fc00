"""Five-minute rows from archived samples: the meter's total at each row's
edges, daily restarts, gaps; and the function the capacity tariff shares."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from custom_components.powertracker.export.sample_rows import five_minute_rows
from custom_components.powertracker.meter.readings import meter_rows
from custom_components.powertracker.sink.models import FloatArray

T = 1_795_867_200.0
"""2026-11-28 12:00 UTC, on the five minutes."""
NAN = float("nan")


def columns(
    times: list[float],
    total: list[float],
    cost: list[float] | None = None,
    production: list[float] | None = None,
) -> dict[str, FloatArray]:
    n = len(times)
    return {
        "time": np.array(times),
        "consumption_total": np.array(total),
        "accumulated_cost": np.array(cost if cost is not None else [0.0] * n),
        "accumulated_production": np.array(
            production if production is not None else [0.0] * n
        ),
    }


def at(times: list[float], total: list[float], moment: float) -> float:
    """The total at `moment` on the straight line between the samples either side."""
    for (t0, v0), (t1, v1) in itertools.pairwise(zip(times, total, strict=True)):
        if t0 <= moment <= t1:
            return v0 + (v1 - v0) * (moment - t0) / (t1 - t0)
    raise AssertionError(moment)


def test_each_row_gets_the_meter_between_its_edges() -> None:
    times = [T - 297 + 300 * i for i in range(5)]  # 11:55:03, 12:00:03, ...
    total = [100.0, 100.5, 100.75, 101.5, 101.5]
    start, energy, cost, production = five_minute_rows(
        columns(times, total), T, T + 1200
    )

    edges = [T + 300 * i for i in range(4)]  # the last sample is 12:15:03
    assert start.tolist() == edges[:-1]
    wanted = [
        at(times, total, b) - at(times, total, a) for a, b in itertools.pairwise(edges)
    ]
    assert energy.tolist() == pytest.approx(wanted)
    assert cost.tolist() == production.tolist() == [0.0] * 3


def test_a_reload_or_a_missed_poll_moves_no_energy() -> None:
    """A steady 600 W (0.05 kWh per five minutes) sampled at 09:08:10, again at
    09:11:57 after a reload, then 09:16:57, none at 09:21:57 (missed), 09:26:57,
    09:31:57: every row has 0.05 kWh, not the change up to its last sample."""
    offsets = [-110.0, 117.0, 417.0, 1017.0, 1317.0]  # from 09:10 (T here)
    times = [T + each for each in offsets]
    total = [10.0 + 0.05 * each / 300 for each in offsets]
    start, energy, _, _ = five_minute_rows(columns(times, total), T - 300, T + 1200)

    assert start.tolist() == [T, T + 300, T + 600, T + 900]
    assert energy.tolist() == pytest.approx([0.05] * 4)


def test_daily_values_restart_at_local_midnight() -> None:
    times = [T + 300 * i for i in range(4)]  # on the edges: no interpolation
    cost = [10.0, 11.0, 0.5, 1.25]  # midnight between the 2nd and 3rd sample
    production = [3.0, 3.0, 0.0, 0.25]
    start, _, row_cost, row_production = five_minute_rows(
        columns(times, [1.0, 2.0, 3.0, 4.0], cost, production), T, T + 900
    )

    assert start.tolist() == [T, T + 300, T + 600]
    assert row_cost.tolist() == [1.0, 0.5, 0.75]
    assert row_production.tolist() == [0.0, 0.0, 0.25]


def test_a_cost_that_falls_within_the_day_is_a_negative_change() -> None:
    """An hour at a negative price lowers Tibber's daily cost; the daily
    consumption, which only rises within a day, says no day began: the rows
    hold the fall, not the whole day's cost again. Where it falls (midnight),
    the change is the new day's value itself."""
    times = [T + 300 * i for i in range(5)]  # on the edges: no interpolation
    cost = [25.0, 24.9, 24.7, 0.25, 0.5]  # negative prices, then midnight
    day = [30.0, 30.2, 30.4, 0.1, 0.3]
    data = columns(times, [1.0, 2.0, 3.0, 4.0, 5.0], cost)
    data["accumulated_consumption"] = np.array(day)
    _, _, row_cost, _ = five_minute_rows(data, T, T + 1200)

    assert row_cost.tolist() == pytest.approx([-0.1, -0.2, 0.25, 0.25])
    # Without the daily consumption (older samples), a fall is a new day.
    del data["accumulated_consumption"]
    _, _, row_cost, _ = five_minute_rows(data, T, T + 1200)
    assert row_cost.tolist() == pytest.approx([24.9, 24.7, 0.25, 0.25])


def test_a_missing_value_is_skipped_and_an_edge_without_samples_is_unknown() -> None:
    times = [T - 10, T + 60, T + 120, T + 360, T + 420, T + 660]
    total = [1.0, 1.5, 2.0, NAN, 3.0, 3.5]
    start, energy, _, _ = five_minute_rows(columns(times, total), T - 300, T + 1200)

    kept = [t for t, v in zip(times, total, strict=True) if v == v]  # noqa: PLR0124
    values = [v for v in total if v == v]  # noqa: PLR0124
    assert start.tolist() == [T, T + 300], "a row needs a sample after its end"
    assert energy.tolist() == pytest.approx(
        [
            at(kept, values, T + 300) - at(kept, values, T),
            at(kept, values, T + 600) - at(kept, values, T + 300),
        ]
    )


def test_samples_hours_apart_leave_the_rows_between_to_other_stores() -> None:
    times = [T, T + 300, T + 300 + 7200, T + 7800]
    start, energy, _, _ = five_minute_rows(columns(times, [1, 2, 3, 4]), T, T + 7800)
    assert start.tolist() == [T, T + 7500]
    assert energy.tolist() == pytest.approx([1.0, 1.0])


def test_rows_before_since_and_lone_samples_give_nothing() -> None:
    assert len(five_minute_rows(columns([T], [1.0]), T, T + 600)[0]) == 0
    assert len(five_minute_rows(columns([], []), T, T + 600)[0]) == 0
    start, _, _, _ = five_minute_rows(
        columns([T - 400, T - 100, T + 310], [1, 2, 3]), T, T + 600
    )
    assert start.tolist() == [T]


def test_meter_rows_skips_what_is_not_a_reading_and_reaches_what_it_can() -> None:
    """Without bounds the periods are those the readings reach; a reading not
    newer than every one before it, or not finite, is left out."""
    times = np.array([T - 100, T + 200, T + 100, T + 800, NAN, T + 1000])
    total = np.array([0.0, 3.0, 99.0, 9.0, 50.0, 11.0])
    start, kwh = meter_rows(times, total, 300)
    assert start.tolist() == [T, T + 300, T + 600]
    # 0.01 kWh a second throughout: 3 kWh each.
    assert kwh.tolist() == pytest.approx([3.0, 3.0, 3.0])
    empty, nothing = meter_rows(np.empty(0), np.empty(0), 900)
    assert len(empty) == len(nothing) == 0
