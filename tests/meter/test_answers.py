"""The one policy for Tibber's answers, once per answer, against the simulator.

A round of history reads (`HistoryRound`) is what the poll (last hours,
midnight bridges) and the hourly import each run.
"""

from __future__ import annotations

from functools import partial

import pytest

from custom_components.powertracker.meter.answers import Answer, HistoryRound, answer_of
from custom_components.powertracker.tibber import (
    InvalidTokenError,
    RateLimitedError,
    TibberClient,
    TibberQueryError,
    TibberServerError,
)
from loopback.tibber import HOMES, TibberSimulator

VILLA, CABIN = HOMES


async def test_a_rejected_token_is_raised_on_for_reauthentication(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.token = "revoked"
    with pytest.raises(InvalidTokenError) as caught:
        await HistoryRound().ask(partial(tibber.consumption, CABIN.id, 3))
    assert answer_of(caught.value) is Answer.REJECTED_TOKEN


async def test_a_rate_limit_ends_the_round(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.http_status = 429
    tibber_sim.faults.retry_after = "1800"
    history = HistoryRound()
    first = await history.ask(partial(tibber.consumption, CABIN.id, 3))
    assert isinstance(first, RateLimitedError)
    assert answer_of(first) is Answer.RATE_LIMITED
    asked = len(tibber_sim.http_requests)
    tibber_sim.faults.http_status = None  # even an answer would not be asked for
    later = await history.ask(partial(tibber.consumption, VILLA.id, 3))
    assert later is first
    assert len(tibber_sim.http_requests) == asked


async def test_a_server_error_leaves_only_that_read_for_later(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.http_status = 503
    history = HistoryRound()
    failed = await history.ask(partial(tibber.consumption, CABIN.id, 3))
    assert isinstance(failed, TibberServerError)
    assert answer_of(failed) is Answer.SERVER_ERROR
    tibber_sim.faults.http_status = None
    asked = len(tibber_sim.http_requests)
    hours = await history.ask(partial(tibber.consumption, VILLA.id, 3))
    assert len(tibber_sim.http_requests) == asked + 1  # the round goes on
    assert isinstance(hours, list)
    assert len(hours) == 3


async def test_an_unknown_home_leaves_only_that_home_for_later(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    history = HistoryRound()
    failed = await history.ask(partial(tibber.consumption, "no-such-home", 3))
    assert isinstance(failed, TibberQueryError)
    assert answer_of(failed) is Answer.UNKNOWN_HOME
    hours = await history.ask(partial(tibber.consumption, VILLA.id, 3))
    assert isinstance(hours, list)
    assert len(hours) == 3
    assert len(tibber_sim.http_requests) == 2
