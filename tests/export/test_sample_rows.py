"""Five-minute rows from archived samples: changes, midnight restarts, gaps."""

from __future__ import annotations

import numpy as np

from custom_components.powertracker.export.sample_rows import five_minute_rows
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


def test_each_row_gets_the_change_since_the_sample_before() -> None:
    times = [T - 297 + 300 * i for i in range(5)]  # 11:55:03, 12:00:03, ...
    total = [100.0, 100.5, 100.75, 101.5, 101.5]
    start, energy, cost, production = five_minute_rows(columns(times, total), T)

    assert start.tolist() == [T, T + 300, T + 600, T + 900]
    assert energy.tolist() == [0.5, 0.25, 0.75, 0.0]
    assert energy.sum() == total[-1] - total[0]
    assert cost.tolist() == production.tolist() == [0.0] * 4


def test_daily_values_restart_at_local_midnight() -> None:
    times = [T + 60 + 300 * i for i in range(4)]
    cost = [10.0, 11.0, 0.5, 1.25]  # midnight between the 2nd and 3rd sample
    production = [3.0, 3.0, 0.0, 0.25]
    start, _, row_cost, row_production = five_minute_rows(
        columns(times, [1.0, 2.0, 3.0, 4.0], cost, production), T
    )

    assert start.tolist() == [T + 300, T + 600, T + 900]
    assert row_cost.tolist() == [1.0, 0.5, 0.75]
    assert row_production.tolist() == [0.0, 0.0, 0.25]


def test_several_samples_in_a_row_add_up_and_a_missing_value_is_unknown() -> None:
    times = [T - 10, T + 60, T + 120, T + 360, T + 420, T + 660]
    total = [1.0, 1.5, 2.0, NAN, 3.0, 3.5]
    start, energy, _, _ = five_minute_rows(columns(times, total), T)

    assert start.tolist() == [T, T + 300, T + 600]
    assert energy[0] == 1.0
    assert np.isnan(energy[1]), "a row with an unknown change is not 0"
    assert energy[2] == 0.5


def test_rows_before_since_and_lone_samples_give_nothing() -> None:
    assert len(five_minute_rows(columns([T], [1.0]), T)[0]) == 0
    assert len(five_minute_rows(columns([], []), T)[0]) == 0
    start, _, _, _ = five_minute_rows(columns([T - 400, T - 100, T + 10], [1, 2, 3]), T)
    assert start.tolist() == [T]
