"""`GET /api/powertracker/export` against recorded statistics of the simulator."""

from __future__ import annotations

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from homeassistant.components.http.auth import async_sign_path
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from hypothesis import HealthCheck, given, settings
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_BACKFILL_DAYS
from loopback.tibber import HOMES, TibberSimulator
from tests.export.queries import queries
from tests.integration.conftest import Clock, SetupEntry
from tests.integration.export_http import URL, csv_rows, export_rows

VILLA, CABIN = HOMES


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    clock: Clock,
    tibber_sim: TibberSimulator,
    setup_entry: SetupEntry,
) -> MockConfigEntry:
    """An entry with 5 days of imported hourly history, in Stockholm time."""
    await hass.config.async_update(time_zone="Europe/Stockholm")
    return await setup_entry(**{CONF_BACKFILL_DAYS: 5})


async def test_hourly_csv_equals_the_meter(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    client = await hass_client()
    response = await client.get(
        URL, params={"aggregate": "1h", "from": "2026-11-26", "to": "2026-11-26"}
    )
    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"].startswith("text/csv")
    assert (
        'filename="powertracker_20261126T0000_1h.csv"'
        in response.headers["Content-Disposition"]
    )
    rows = csv_rows(await response.text())
    assert len(rows) == 2 * 24
    for row in rows:
        start = dt_util.parse_datetime(row["start"])
        end = dt_util.parse_datetime(row["end"])
        assert start is not None
        assert end is not None
        assert start.utcoffset() == timedelta(hours=1)  # local time, with offset
        truth = tibber_sim.energy(row["home_id"], start, end)
        assert float(row["consumption_kwh"]) == pytest.approx(truth, abs=1e-5)
        assert float(row["average_power_w"]) == pytest.approx(truth * 1000, abs=0.1)
        assert row["currency"] == "SEK"
    assert {row["home_name"] for row in rows} == {"Villa Solsidan", "Sjövägen 7"}


async def test_daily_csv_of_one_home_sums_its_hours(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    rows = await export_rows(
        hass_client,
        {"aggregate": "1d", "from": "2026-11-24", "to": "2026-11-27", "home": VILLA.id},
    )
    assert [row["start"][:10] for row in rows] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]
    for row in rows[1:]:  # the first day began before the 5 imported days
        start = dt_util.parse_datetime(row["start"])
        assert start is not None
        truth = tibber_sim.energy(VILLA.id, start, start + timedelta(days=1))
        assert float(row["consumption_kwh"]) == pytest.approx(truth, abs=1e-4)


async def test_exports_go_on_while_tibber_is_unreachable(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    tibber_sim: TibberSimulator,
    entry: MockConfigEntry,
) -> None:
    """The entry retries its setup; what the recorder holds is still exported."""
    query = {"aggregate": "1d", "from": "2026-11-25", "to": "2026-11-26"}
    before = await export_rows(hass_client, query)
    tibber_sim.faults.http_status = 503
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    after = await export_rows(hass_client, query)
    assert len(after) == len(before) == 4
    assert after == before  # names, currency and values from the registries


async def test_no_data_gives_the_header_only(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> None:
    rows = await export_rows(
        hass_client,
        {"aggregate": "1d", "from": "2026-01-01", "to": "2026-01-03", "home": CABIN.id},
    )
    assert len(rows) == 3
    assert all(row["consumption_kwh"] == "" for row in rows)  # missing, not 0


async def test_authentication_is_required(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    entry: MockConfigEntry,
) -> None:
    client = await hass_client_no_auth()
    response = await client.get(URL, params={"aggregate": "1h"})
    assert response.status == HTTPStatus.UNAUTHORIZED


async def test_a_signed_path_works_without_a_token(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    hass_access_token: str,
    entry: MockConfigEntry,
) -> None:
    token = hass.auth.async_validate_access_token(hass_access_token)
    assert token is not None
    path = async_sign_path(
        hass,
        f"{URL}?aggregate=1h&from=2026-11-26",
        timedelta(minutes=5),
        refresh_token_id=token.id,
    )
    client = await hass_client_no_auth()
    response = await client.get(path)
    assert response.status == HTTPStatus.OK
    assert len(csv_rows(await response.text())) > 0


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ({"output": "pdf"}, HTTPStatus.BAD_REQUEST, "output"),
        ({"aggregate": "2h"}, HTTPStatus.BAD_REQUEST, "aggregate"),
        ({"from": "2026-02-30"}, HTTPStatus.BAD_REQUEST, "from"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, HTTPStatus.BAD_REQUEST, "from"),
        ({"aggregate": "1h", "from": "2020-01-01"}, HTTPStatus.BAD_REQUEST, "from"),
        ({"aggregate": "5m", "from": "2025-11-01"}, HTTPStatus.BAD_REQUEST, "from"),
        ({"aggregate": "15m", "from": "2025-11-01"}, HTTPStatus.BAD_REQUEST, "from"),
        ({"format": "csv"}, HTTPStatus.BAD_REQUEST, "format"),
        ({"home": "no-such-home"}, HTTPStatus.NOT_FOUND, "home"),
    ],
)
async def test_bad_requests_are_clean_4xx(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    query: dict[str, str],
    status: HTTPStatus,
    parameter: str,
) -> None:
    client = await hass_client()
    response = await client.get(URL, params=query)
    assert response.status == status
    body = await response.json()
    assert body["parameter"] == parameter
    assert body["error"]


@pytest.mark.parametrize("graph", ["hist", "lineplot"])
async def test_png_has_the_requested_size(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    graph: str,
) -> None:
    client = await hass_client()
    response = await client.get(
        URL,
        params={
            "output": "png",
            "graph": graph,
            "aggregate": "1h",
            "from": "2026-11-24",
            "width": "800",
            "height": "300",
        },
    )
    assert response.status == HTTPStatus.OK
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(await response.read()))
    assert image.format == "PNG"
    assert image.size == (800, 300)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=queries(VILLA.id))
async def test_no_query_string_yields_a_server_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    query: dict[str, str],
) -> None:
    client = await hass_client()
    response = await client.get(URL, params=query)
    assert response.status < HTTPStatus.INTERNAL_SERVER_ERROR, await response.text()
    # Home Assistant's security filter answers control characters itself (plain
    # text); every refusal of ours is JSON naming the problem.
    if (
        response.status >= HTTPStatus.BAD_REQUEST
        and response.content_type == "application/json"
    ):
        body = await response.json()
        assert body["error"]
