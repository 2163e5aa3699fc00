"""Exports answer with what exists (issue 23.2, 23.3, 24.12) and at 15m (20.4).

With `source=auto`, a store that does not answer (the sink's server stopped,
the archive locked by another program) costs only the rows only it holds: 200,
the gap named in `X-Powertracker-Missing` and the action's `missing`, one log
warning per store and hour. A range that begins before any data answers from
where the data begins and says so. The expected rows are the samples written
here: 0.1 kWh in each five minutes (`_samples`).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_SINK, DOMAIN
from custom_components.powertracker.record.forwarder import Forwarder
from custom_components.powertracker.sink.models import Sink
from loopback.influxd import INFLUX_ADMIN, INFLUX_DATABASE, Influxd, InfluxdServers
from tests.integration.conftest import SetupEntry
from tests.integration.export_http import URL, csv_rows
from tests.integration.test_archive import _recorder_rows, archive_of
from tests.integration.test_export_read import (
    POLL,
    VILLA,
    _samples,
    _slot,
    archive_locked,
)

HOME = "Villa Solsidan"
SINK = f"InfluxDB database {INFLUX_DATABASE!r}"
ARCHIVE = "five-minute archive"
HEADER = "X-Powertracker-Missing"
READ_LOGGER = "custom_components.powertracker.export.read"


def _sink(url: str) -> dict[str, str]:
    return {"kind": "influxdb", "url": url, "api": "v1", "database": INFLUX_DATABASE}


def _local(moment: datetime) -> str:
    return moment.astimezone(dt_util.get_default_time_zone()).isoformat()


def _gap(start: datetime, end: datetime, store: str | None) -> dict[str, Any]:
    return {
        "home": HOME,
        "from": _local(start),
        "to": _local(end),
        "store": store,
        "reason": "no_answer" if store else "no_data",
    }


def _header(gaps: list[dict[str, Any]]) -> str:
    """The header the gaps make, written out here."""
    return "; ".join(
        f"{gap['home']}: {gap['from']}/{gap['to']} "
        + (f"{gap['store']} did not answer" if gap["store"] else "no data")
        for gap in gaps
    )


async def _get(
    hass_client: ClientSessionGenerator, **params: str
) -> tuple[int, str, dict[str, str]]:
    client = await hass_client()
    response = await client.get(URL, params={"home": VILLA.id, **params})
    body = await response.read()
    text = "" if body.startswith(b"\x89PNG") else body.decode()
    return response.status, text, dict(response.headers)


@pytest.fixture(autouse=True)
def out_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """The action writes into the test's own folder."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}


async def _action(hass: HomeAssistant, **fields: str) -> dict[str, Any]:
    (directory,) = hass.config.allowlist_external_dirs
    response = await hass.services.async_call(
        DOMAIN,
        "export",
        {"home": VILLA.id, "directory": directory, **fields},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def _energy(rows: list[dict[str, str]]) -> list[float | None]:
    return [
        float(row["consumption_kwh"]) if row["consumption_kwh"] else None
        for row in rows
    ]


def _starts(first: datetime, count: int, step: timedelta = POLL) -> list[str]:
    return [_local(first + i * step) for i in range(count)]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == READ_LOGGER and record.levelno == logging.WARNING
    ]


async def _the_chart_draws(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The usage chart of today's five minutes (the archive's, the sink asked
    for the time before them) is drawn all the same."""
    chart = "image.villa_solsidan_usage_chart"
    drawn = hass.states.get(chart)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.villa_solsidan_chart_period", "option": "day"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(chart) != drawn
    client = await hass_client()
    image = await client.get(f"/api/image_proxy/{chart}")
    assert image.status == HTTPStatus.OK
    assert (await image.read()).startswith(b"\x89PNG")
    assert len(_warnings(caplog)) == 1  # still the one
    # Not drawn as "no data" for want of the sink (it says why when it is).
    assert not [r for r in caplog.records if r.name.endswith("powertracker.image")]


async def _alone_the_sink_is_a_503(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, window: dict[str, str]
) -> None:
    """Read on its own, the sink is a 503 that names it, not its address."""
    status, text, _ = await _get(hass_client, source="sink", **window)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE, text
    body = json.loads(text)
    assert body == {
        "error": f"The {SINK} did not answer. Try again later",
        "parameter": "source",
        "store": SINK,
    }
    with pytest.raises(HomeAssistantError) as caught:
        await _action(hass, source="sink", **window)
    assert caught.value.translation_key == "store_unreachable"
    assert caught.value.translation_placeholders == {"store": SINK}


@pytest.fixture
async def own_influxd(
    socket_enabled: None, tmp_path: Path, http_session: aiohttp.ClientSession
) -> Any:
    """An influxd of this test alone, which the test may stop."""
    servers = InfluxdServers(tmp_path)
    server = servers.get(auth=False)
    await server.wait_ready(http_session)
    await server.reset_database(http_session)
    yield servers, server
    servers.stop()


async def test_a_stopped_sink_costs_only_its_rows(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    own_influxd: tuple[InfluxdServers, Influxd],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The sink holds the first hour, the archive the second; with the sink's
    server stopped, `auto` answers the archive's hour and names the sink's."""
    servers, server = own_influxd
    entry = await setup_entry(**{CONF_SINK: _sink(server.url)})
    forwarder: Forwarder[Sink] | None = entry.runtime_data.forwarder
    assert forwarder is not None
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    early = old - timedelta(hours=1)
    assert (await forwarder.sink.write(_samples(early - POLL, 14))).written == 14
    await archive_of(entry).write(_samples(old - POLL, 14))
    window = {
        "aggregate": "5m",
        "from": early.isoformat(),
        "to": (old + timedelta(hours=1)).isoformat(),
    }

    status, text, headers = await _get(hass_client, **window)
    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [row["start"] for row in rows] == _starts(early, 24)
    assert _energy(rows) == pytest.approx([0.1] * 24)  # both stores answer
    assert HEADER not in headers

    servers.stop()  # the sink's server is gone
    caplog.clear()
    status, text, headers = await _get(hass_client, **window)
    response = await _action(hass, **window)
    png_status, _, png_headers = await _get(hass_client, output="png", **window)

    gaps = [_gap(early, old, SINK), _gap(early, old, None)]
    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [row["start"] for row in rows] == _starts(early, 24)
    assert _energy(rows)[:12] == [None] * 12  # the sink's hour
    assert _energy(rows)[12:] == pytest.approx([0.1] * 12)
    assert headers[HEADER] == _header(gaps)
    assert "127.0.0.1" not in headers[HEADER]
    assert response["missing"] == gaps
    assert response["rows"] == 24
    written = await hass.async_add_executor_job(Path(response["path"]).read_text)
    assert csv_rows(written) == rows
    assert png_status == HTTPStatus.OK
    assert png_headers["Content-Type"] == "image/png"
    assert png_headers[HEADER] == _header(gaps)
    # One warning for three exports (not repeated for an hour), no error.
    assert len(_warnings(caplog)) == 1
    assert SINK in _warnings(caplog)[0]
    assert not [
        r
        for r in caplog.records
        if r.name == READ_LOGGER and r.levelno >= logging.ERROR
    ]

    await _the_chart_draws(hass, hass_client, caplog)
    await _alone_the_sink_is_a_503(hass, hass_client, window)


async def test_a_locked_archive_costs_only_its_rows(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    config_entry: MockConfigEntry,
    influxdb: Influxd,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another program locks the archive: the sink's rows, the archive named."""
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    end = old + timedelta(hours=1)
    window = {"aggregate": "5m", "from": old.isoformat(), "to": end.isoformat()}
    with archive_locked(hass, config_entry.entry_id, monkeypatch):
        entry = await setup_entry(**{CONF_SINK: _sink(influxdb.url)})
        forwarder: Forwarder[Sink] | None = entry.runtime_data.forwarder
        assert forwarder is not None
        assert (await forwarder.sink.write(_samples(old - POLL, 14))).written == 14
        caplog.clear()
        status, text, headers = await _get(hass_client, **window)
        response = await _action(hass, **window)
        locked_status, locked_text, _ = await _get(
            hass_client, source="archive", **window
        )

    gaps = [_gap(old, end, ARCHIVE)]
    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [row["start"] for row in rows] == _starts(old, 12)
    assert _energy(rows) == pytest.approx([0.1] * 12)
    assert headers[HEADER] == _header(gaps)
    assert response["missing"] == gaps
    assert response["rows"] == 12
    assert len(_warnings(caplog)) == 1
    assert locked_status == HTTPStatus.SERVICE_UNAVAILABLE, locked_text
    assert json.loads(locked_text)["error"] == (
        f"The {ARCHIVE} did not answer. Try again later"
    )


@pytest.mark.parametrize("old_install", [False, True])
async def test_sixty_days_at_5m_answer_from_where_the_data_begins(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    old_install: bool,
) -> None:
    """A fresh install (no data before today) and one whose archive reaches
    back past the range give the same kind of answer: 200, and where data begins."""
    entry = await setup_entry()
    tz = dt_util.get_default_time_zone()
    today = dt_util.now(tz).date()
    first = datetime.combine(today - timedelta(days=60), datetime.min.time(), tz)
    if old_install:
        await archive_of(entry).write(_samples(first - POLL, 3))
    query = {"aggregate": "5m", "from": first.date().isoformat()}

    status, text, headers = await _get(hass_client, **query)

    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert rows[0]["start"] == first.isoformat()
    if not old_install:
        gap = headers[HEADER]
        assert gap.startswith(f"{HOME}: {first.isoformat()}/")
        assert gap.endswith(" no data")
        begins = datetime.fromisoformat(gap.split("/")[1].split(" ")[0])
        assert first < begins <= dt_util.utcnow()
        before = [row for row in rows if datetime.fromisoformat(row["start"]) < begins]
        assert before
        assert all(row["consumption_kwh"] == "" for row in before)
    else:
        assert HEADER not in headers
        assert _energy(rows[:1]) == pytest.approx([0.1])
    status, archive_text, _ = await _get(hass_client, source="archive", **query)
    assert status == HTTPStatus.OK, archive_text

    # What cannot be served at all: over a year at 5m, the limit named.
    status, text, _ = await _get(
        hass_client,
        aggregate="5m",
        **{"from": (today - timedelta(days=400)).isoformat()},
    )
    assert status == HTTPStatus.BAD_REQUEST, text
    assert json.loads(text)["error"].startswith("At most 366 days at aggregate 5m")


async def test_the_archive_fills_what_the_recorder_has_not_compiled(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_entry: SetupEntry
) -> None:
    """The recorder's rows end at half past; the archive already holds the
    five minutes after: `auto` goes on with them (issue 24.12). Where both
    hold a row the archive's is taken (its samples' times make it exact);
    before the archive's first row, the recorder's."""
    entry = await setup_entry()
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    # Samples from 10:07 past: the archive's rows from quarter past.
    await archive_of(entry).write(_samples(old + 2 * POLL, 11))
    # The recorder's sums: 0.2 kWh per five minutes from `old` to half past;
    # its first row's change is unknown (no row before).
    await _recorder_rows(hass, [(old + i * POLL, 1.0 + 0.2 * i) for i in range(6)])
    end = old + timedelta(hours=1)

    status, text, headers = await _get(
        hass_client, aggregate="5m", **{"from": old.isoformat(), "to": end.isoformat()}
    )

    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [row["start"] for row in rows] == _starts(old, 12)
    assert _energy(rows)[0] is None
    assert _energy(rows)[1:] == pytest.approx([0.2] * 2 + [0.1] * 9)
    # The empty first row is said: the data begins five minutes in.
    tz = dt_util.get_default_time_zone()
    gap = {"home": HOME, "store": None}
    gap |= {"from": old.astimezone(tz).isoformat()}
    gap |= {"to": (old + POLL).astimezone(tz).isoformat()}
    assert headers[HEADER] == _header([gap])


async def test_quarter_hours_in_csv_png_and_the_action(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_entry: SetupEntry
) -> None:
    """15m: each local quarter-hour the sum of its three five minutes."""
    entry = await setup_entry()
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    await archive_of(entry).write(_samples(old - POLL, 14))
    window = {
        "aggregate": "15m",
        "from": old.isoformat(),
        "to": (old + timedelta(hours=1)).isoformat(),
    }

    status, text, _ = await _get(hass_client, **window)
    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [row["start"] for row in rows] == _starts(old, 4, timedelta(minutes=15))
    assert _energy(rows) == pytest.approx([0.3] * 4)  # three samples of 0.1 kWh
    assert [float(row["average_power_w"]) for row in rows] == pytest.approx(
        [0.3 * 1000 * 4] * 4
    )
    status, _, headers = await _get(hass_client, output="png", **window)
    assert status == HTTPStatus.OK
    assert headers["Content-Type"] == "image/png"
    response = await _action(hass, **window)
    assert response["rows"] == 4
    assert response["path"].endswith("_15m.csv")


async def test_a_sink_that_refuses_costs_only_its_rows(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    influxdb_auth: Influxd,
) -> None:
    """A wrong password: `auto` answers the archive's rows and says the sink
    refused; read alone, the sink is a 502 naming it, not its address."""
    sink = _sink(influxdb_auth.url) | {
        "username": INFLUX_ADMIN,
        "password": "not-the-Password",
    }
    entry = await setup_entry(**{CONF_SINK: sink})
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    await archive_of(entry).write(_samples(old - POLL, 14))
    early = old - timedelta(hours=1)
    end = old + timedelta(hours=1)
    window = {"aggregate": "5m", "from": early.isoformat(), "to": end.isoformat()}

    status, text, headers = await _get(hass_client, **window)
    assert status == HTTPStatus.OK, text
    assert _energy(csv_rows(text))[12:] == pytest.approx([0.1] * 12)
    assert headers[HEADER] == (
        f"{HOME}: {_local(early)}/{_local(old)} {SINK} refused; "
        f"{HOME}: {_local(early)}/{_local(old)} no data"
    )

    status, text, _ = await _get(hass_client, source="sink", **window)
    assert status == HTTPStatus.BAD_GATEWAY, text
    error = json.loads(text)["error"]
    assert error.startswith(f"The {SINK} refused the export's read: HTTP 401")
    assert "127.0.0.1" not in text
    assert "not-the-Password" not in text
