"""The client's HTTP side against the simulator: account, history, errors."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise

import aiohttp
import gql.graphql_request
import pytest
from gql import GraphQLRequest

from custom_components.powertracker.tibber import (
    InvalidTokenError,
    RateLimitedError,
    TibberClient,
    TibberConnectionError,
    TibberQueryError,
    TibberServerError,
    queries,
)
from loopback.tibber import HOMES, TibberSimulator
from tests.conftest import SIM_NOW, USER_AGENT, ManualClock

VILLA, CABIN = HOMES


async def test_account(tibber: TibberClient) -> None:
    account = await tibber.account()

    assert account.user_id == "b8f2b6a4-sim-user"
    assert account.name == "Ada Lovelace"
    assert [home.id for home in account.homes] == [VILLA.id, CABIN.id]
    villa, cabin = account.homes
    assert villa.name == "Villa Solsidan"
    assert villa.time_zone == "Europe/Stockholm"
    assert villa.real_time_consumption is True
    assert villa.subscription_status == "running"
    assert (villa.address.address1, villa.address.postal_code) == (
        "Storgatan 1",
        "11122",
    )
    assert (villa.address.city, villa.address.country) == ("Stockholm", "SE")
    # No nickname: the street address names the home.
    assert cabin.nickname is None
    assert cabin.name == "Sjövägen 7"
    assert cabin.real_time_consumption is False


async def test_every_request_names_the_client_and_carries_the_token(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    await tibber.account()
    await tibber.consumption(VILLA.id, 3)

    assert len(tibber_sim.http_requests) == 2
    for request in tibber_sim.http_requests:
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["Authorization"] == f"Bearer {tibber_sim.token}"
    assert tibber_sim.token not in repr(tibber)


async def test_websocket_url_is_asked_for_once(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    assert await tibber.websocket_url() == tibber_sim.ws_url
    assert await tibber.websocket_url() == tibber_sim.ws_url
    assert len(tibber_sim.http_requests) == 1


async def test_account_teaches_the_websocket_url(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    await tibber.account()
    assert await tibber.websocket_url() == tibber_sim.ws_url
    assert len(tibber_sim.http_requests) == 1


async def test_missing_websocket_url_is_a_server_error(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.hide_websocket_url = True
    with pytest.raises(TibberServerError, match="websocket URL"):
        await tibber.websocket_url()


@pytest.mark.parametrize(("kind", "hours"), [("consumption", 2000), ("production", 30)])
async def test_history_pages_backwards_and_matches_the_meter(
    tibber: TibberClient, tibber_sim: TibberSimulator, kind: str, hours: int
) -> None:
    fetch = tibber.consumption if kind == "consumption" else tibber.production
    nodes = await fetch(VILLA.id, hours)

    assert len(nodes) == hours
    # 744 nodes a page at most: 2000 hours take three requests.
    assert len(tibber_sim.http_requests) == -(-hours // 744)
    last_complete_hour = SIM_NOW.replace(minute=0, second=0, microsecond=0)
    assert nodes[-1].end == last_complete_hour
    for earlier, later in pairwise(nodes):
        assert later.start == earlier.end == earlier.start + timedelta(hours=1)
    for node in (nodes[0], nodes[len(nodes) // 2], nodes[-1]):
        truth = tibber_sim.energy(VILLA.id, node.start, node.end, kind)
        assert node.energy == pytest.approx(truth, abs=1e-6)
        assert node.unit_price is not None
        assert node.money == pytest.approx(truth * node.unit_price, abs=1e-6)
        assert node.currency == "SEK"


async def test_history_shares_its_zones_and_currency(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    """A year of hours holds one tzinfo per UTC offset and one currency string,
    not one per node (a year's history was the first import's memory peak)."""
    nodes = await tibber.consumption(VILLA.id, 2000)

    times = [moment for node in nodes for moment in (node.start, node.end)]
    offsets = {moment.utcoffset() for moment in times}
    # Stockholm in winter and summer: the span crosses a change of offset.
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    assert len({id(moment.tzinfo) for moment in times}) == len(offsets)
    assert {id(node.currency) for node in nodes} == {id(nodes[0].currency)}
    assert nodes[0].currency == "SEK"


async def test_history_stops_where_tibber_has_no_more(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.history_start = SIM_NOW - timedelta(hours=800)
    nodes = await tibber.consumption(CABIN.id, 5000)

    assert nodes[0].start >= tibber_sim.history_start
    assert len(nodes) == 799  # the hour in progress is not history yet
    assert len(tibber_sim.http_requests) == 2


async def test_history_of_an_unknown_home(tibber: TibberClient) -> None:
    with pytest.raises(TibberQueryError, match="not found"):
        await tibber.consumption("no-such-home", 24)


async def test_wrong_token(
    tibber_sim: TibberSimulator, http_session: aiohttp.ClientSession
) -> None:
    client = TibberClient(
        http_session,
        "wrong-secret-token",
        user_agent=USER_AGENT,
        api_url=tibber_sim.api_url,
    )
    with pytest.raises(InvalidTokenError) as caught:
        await client.account()
    assert "wrong-secret-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", 120.0), ("http-date", 600.0), ("soon", None), (None, None)],
)
async def test_rate_limit_says_when_to_retry(
    tibber: TibberClient,
    tibber_sim: TibberSimulator,
    retry_after: str | None,
    expected: float | None,
) -> None:
    if retry_after == "http-date":
        in_ten_minutes = datetime.now(UTC) + timedelta(minutes=10)
        retry_after = format_datetime(in_ten_minutes, usegmt=True)
    tibber_sim.faults.http_status = 429
    tibber_sim.faults.retry_after = retry_after
    with pytest.raises(RateLimitedError) as caught:
        await tibber.account()
    if expected is None:
        assert caught.value.retry_after is None
    else:
        assert caught.value.retry_after == pytest.approx(expected, abs=5)


async def test_precondition_required_is_a_rate_limit(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.http_status = 428
    with pytest.raises(RateLimitedError, match="428"):
        await tibber.account()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TibberServerError),
        (503, TibberServerError),
        (401, InvalidTokenError),
        (403, InvalidTokenError),
        (404, TibberQueryError),
    ],
)
async def test_http_status_without_graphql_body(
    tibber: TibberClient,
    tibber_sim: TibberSimulator,
    status: int,
    error: type[Exception],
) -> None:
    tibber_sim.faults.http_status = status
    with pytest.raises(error, match=str(status)):
        await tibber.account()


async def test_html_instead_of_json_is_a_server_fault(
    tibber: TibberClient, tibber_sim: TibberSimulator
) -> None:
    tibber_sim.faults.http_html = True
    with pytest.raises(TibberServerError, match="not GraphQL JSON"):
        await tibber.account()


async def test_unreachable(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = TibberClient(
        http_session,
        "token",
        user_agent=USER_AGENT,
        api_url=f"http://127.0.0.1:{port}/gql",
    )
    with pytest.raises(TibberConnectionError, match="Cannot reach Tibber"):
        await client.account()


async def test_timeout(
    tibber_sim: TibberSimulator, http_session: aiohttp.ClientSession
) -> None:
    tibber_sim.faults.http_delay = 1
    client = TibberClient(
        http_session,
        tibber_sim.token,
        user_agent=USER_AGENT,
        api_url=tibber_sim.api_url,
        timeout=0.2,
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TibberConnectionError, match=r"within 0\.2 s"):
        await client.account()
    assert loop.time() - started < 2


async def test_rate_limit_blocks_every_request_until_retry_after(
    tibber_sim: TibberSimulator, clocked_tibber: TibberClient, manual_clock: ManualClock
) -> None:
    tibber = clocked_tibber
    await tibber.websocket_url()
    tibber_sim.faults.http_status = 429
    tibber_sim.faults.retry_after = "300"
    with pytest.raises(RateLimitedError):
        await tibber.consumption(VILLA.id, 24)
    tibber_sim.faults.http_status = None
    sent = len(tibber_sim.http_requests)

    manual_clock.now += 299
    with pytest.raises(RateLimitedError, match="Waiting 1 s more"):
        await tibber.account()
    # Tibber blocks the IP address: no websocket either.
    with pytest.raises(RateLimitedError, match="Waiting 1 s more"):
        await tibber.live_snapshot([VILLA.id], timeout=5)
    assert len(tibber_sim.http_requests) == sent
    assert tibber_sim.connections == []

    manual_clock.now += 1
    assert (await tibber.account()).homes


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, '{"errors": [{"message": "unauthorized"}]}', InvalidTokenError),
        (403, '{"errors": [{"message": "forbidden"}]}', InvalidTokenError),
        (429, '{"errors": [{"message": "Too many requests"}]}', RateLimitedError),
        (503, '{"errors": [{"message": "maintenance"}]}', TibberServerError),
        (
            200,
            '{"errors": [{"message": "?", "extensions": {"code": "UNAUTHENTICATED"}}]}',
            InvalidTokenError,
        ),
    ],
)
async def test_status_wins_over_a_graphql_body(
    tibber: TibberClient,
    tibber_sim: TibberSimulator,
    status: int,
    body: str,
    error: type[Exception],
) -> None:
    tibber_sim.faults.http_status = status
    tibber_sim.faults.http_body = body
    with pytest.raises(error):
        await tibber.account()


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (queries.ACCOUNT, None),
        (queries.CONSUMPTION_HISTORY, {"homeId": VILLA.id, "last": 2, "before": None}),
        (queries.LIVE_MEASUREMENT, {"homeId": CABIN.id}),
    ],
)
def test_request_sends_what_gql_sends_without_printing_again(
    document: str, variables: dict[str, object] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = GraphQLRequest(document, variable_values=variables).payload
    request = queries.Request(document, variables)

    def printed_again(node: object) -> str:
        raise AssertionError("the document was printed at send")

    monkeypatch.setattr(gql.graphql_request, "print_ast", printed_again)
    assert request.payload == expected
    assert queries.Request(document, variables).payload == expected
