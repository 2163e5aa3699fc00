"""Five-minute detail read back from the sink (a real influxd 1.x) by the export."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_ARCHIVE, CONF_SINK, DOMAIN
from custom_components.powertracker.record.forwarder import Forwarder
from custom_components.powertracker.sink.models import Sink
from loopback.influxd import INFLUX_DATABASE, Influxd, free_loopback_port
from tests.integration.conftest import SetupEntry
from tests.integration.export_http import URL, csv_rows
from tests.integration.test_export_read import POLL, VILLA, _samples, _slot

SECRET = "influx-Token-never-shown"


def _v1(url: str) -> dict[str, str]:
    return {
        "kind": "influxdb",
        "url": url,
        "api": "v1",
        "database": INFLUX_DATABASE,
        "token": SECRET,
    }


async def _get(hass_client: ClientSessionGenerator, **params: str) -> tuple[int, str]:
    client = await hass_client()
    response = await client.get(URL, params={"home": VILLA.id, **params})
    return response.status, await response.text()


async def test_the_sink_reaches_back_where_there_is_no_archive(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    influxdb: Influxd,
) -> None:
    """Archive off: the 40-day-old five minutes come from what the sink stored."""
    entry = await setup_entry(**{CONF_ARCHIVE: False, CONF_SINK: _v1(influxdb.url)})
    forwarder: Forwarder[Sink] | None = entry.runtime_data.forwarder
    assert forwarder is not None
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    assert (await forwarder.sink.write(_samples(old - POLL, 14))).written == 14
    window = {"from": old.isoformat(), "to": (old + timedelta(hours=1)).isoformat()}

    for source in ("auto", "sink"):
        status, text = await _get(hass_client, aggregate="5m", source=source, **window)
        assert status == HTTPStatus.OK, text
        rows = csv_rows(text)
        assert [row["start"] for row in rows] == [
            (old + i * POLL).astimezone(dt_util.get_default_time_zone()).isoformat()
            for i in range(12)
        ]
        assert [float(row["consumption_kwh"]) for row in rows] == pytest.approx(
            [0.1] * 12
        )
        assert [float(row["average_power_w"]) for row in rows] == pytest.approx(
            [1200.0] * 12
        )

    # The hour as a whole, from the sink's five-minute rows.
    status, text = await _get(hass_client, aggregate="1h", source="sink", **window)
    assert status == HTTPStatus.OK, text
    assert [float(row["consumption_kwh"]) for row in csv_rows(text)] == pytest.approx(
        [1.2]
    )


async def test_an_unreachable_sink_is_a_503_naming_it_without_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    socket_enabled: None,
) -> None:
    url = f"http://127.0.0.1:{free_loopback_port()}"  # nothing listens
    await setup_entry(**{CONF_ARCHIVE: False, CONF_SINK: _v1(url)})

    status, text = await _get(hass_client, aggregate="5m", source="sink")

    assert status == HTTPStatus.SERVICE_UNAVAILABLE, text
    body = json.loads(text)
    assert body["store"] == f"InfluxDB database {INFLUX_DATABASE!r}"
    assert body["parameter"] == "source"
    assert SECRET not in text
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "export",
            {"home": VILLA.id, "source": "sink"},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "store_unreachable"
    assert SECRET not in str(caught.value.translation_placeholders)
