"""Where an export's samples come from (`source`), and a store that fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import CONF_ARCHIVE, DOMAIN
from custom_components.powertracker.export.csv import CHUNK_ROWS
from custom_components.powertracker.record.stores import archive_path
from custom_components.powertracker.sink import archive as archive_module
from custom_components.powertracker.sink.models import Sample
from loopback.tibber import HOMES
from tests.integration.conftest import SetupEntry
from tests.integration.export_http import URL, csv_rows
from tests.integration.test_archive import archive_of

VILLA, _ = HOMES
POLL = timedelta(minutes=5)


def _slot(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute // 5 * 5, second=0, microsecond=0)


def _samples(first: datetime, count: int) -> list[Sample]:
    """A sample 7 s into each five minutes from `first`: 0.1 kWh and 1200 W each.

    A five-minute row is the meter between its edges: it needs a sample
    before its start and one after its end (an hour of rows: 14 samples from
    the five minutes before it)."""
    return [
        Sample(
            home_id=VILLA.id,
            time=first + i * POLL + timedelta(seconds=7),
            power=1200.0,
            consumption_total=500.0 + 0.1 * i,
        )
        for i in range(count)
    ]


async def _get(
    hass_client: ClientSessionGenerator, **params: str
) -> tuple[int, str, dict[str, str]]:
    client = await hass_client()
    response = await client.get(URL, params={"home": VILLA.id, **params})
    return response.status, await response.text(), dict(response.headers)


async def test_the_archive_alone_at_any_aggregate(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_entry: SetupEntry
) -> None:
    """source=archive at 1h: the archive's five-minute rows, bucketed by hour."""
    entry = await setup_entry()
    old = _slot(dt_util.utcnow() - timedelta(days=40)).replace(minute=0)
    # One sample before the first hour, one after the second: a row is the
    # meter between its edges, so its last needs a sample after its end.
    await archive_of(entry).write(_samples(old - POLL, 26))

    status, text, _ = await _get(
        hass_client,
        aggregate="1h",
        source="archive",
        **{"from": old.isoformat(), "to": (old + 2 * timedelta(hours=1)).isoformat()},
    )

    assert status == HTTPStatus.OK, text
    rows = csv_rows(text)
    assert [float(row["consumption_kwh"]) for row in rows] == pytest.approx([1.2, 1.2])
    assert float(rows[0]["average_power_w"]) == pytest.approx(1200.0)


async def test_a_big_csv_is_streamed_whole(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_entry: SetupEntry
) -> None:
    """More rows than one piece: sent in chunks, every five minutes once."""
    entry = await setup_entry()
    days = 30
    count = days * 288
    assert count > 2 * CHUNK_ROWS
    old = _slot(dt_util.utcnow() - timedelta(days=60)).replace(hour=0, minute=0)
    await archive_of(entry).write(_samples(old - POLL, count + 2))  # one after

    status, text, headers = await _get(
        hass_client,
        aggregate="5m",
        **{"from": old.isoformat(), "to": (old + timedelta(days=days)).isoformat()},
    )

    assert status == HTTPStatus.OK, text
    assert headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in headers
    assert headers["Content-Disposition"].startswith("attachment; filename=")
    rows = csv_rows(text)
    assert len(rows) == count
    assert {row["consumption_kwh"] for row in rows} == {"0.100000"}
    starts = [datetime.fromisoformat(row["start"]) for row in rows]
    assert starts == [old + i * POLL for i in range(count)]


async def test_recorder_alone_answers_without_what_it_purged(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_entry: SetupEntry
) -> None:
    """The archive has the hour, but source=recorder reads only the recorder:
    a 200 without rows that says the data begins after the range."""
    entry = await setup_entry()
    old = _slot(dt_util.utcnow() - timedelta(days=40))
    await archive_of(entry).write(_samples(old, 13))
    end = old + timedelta(hours=1)
    window = {"from": old.isoformat(), "to": end.isoformat()}

    status, text, headers = await _get(hass_client, source="recorder", **window)
    assert status == HTTPStatus.OK, text
    assert [row["consumption_kwh"] for row in csv_rows(text)] == [""] * 12
    tz = dt_util.get_default_time_zone()
    assert headers["X-Powertracker-Missing"] == (
        f"Villa Solsidan: {old.astimezone(tz).isoformat()}/"
        f"{end.astimezone(tz).isoformat()} no data"
    )

    status, text, headers = await _get(hass_client, source="auto", **window)
    assert status == HTTPStatus.OK, text
    energy = [row["consumption_kwh"] for row in csv_rows(text)]
    assert energy[0] == ""  # the first sample only starts the sum
    assert [float(kwh) for kwh in energy[1:]] == pytest.approx([0.1] * 11)


@pytest.mark.parametrize(
    ("source", "options", "key"),
    [
        ("archive", {CONF_ARCHIVE: False}, "no_archive"),
        ("sink", {}, "no_sink"),
    ],
)
async def test_a_store_that_is_not_there_is_a_clear_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    source: str,
    options: dict[str, bool],
    key: str,
) -> None:
    await setup_entry(**options)

    status, text, _ = await _get(hass_client, source=source)
    assert status == HTTPStatus.BAD_REQUEST
    body = await _json(text)
    assert body["parameter"] == "source"
    assert "Villa Solsidan" in body["error"]

    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "export",
            {"home": VILLA.id, "source": source},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == key


@contextmanager
def archive_locked(
    hass: HomeAssistant, entry_id: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Another program holds the archive's file exclusively; the archive
    gives up waiting for it at once."""
    monkeypatch.setattr(archive_module, "BUSY_TIMEOUT", 0.05)
    path = archive_path(hass, entry_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_store_that_fails_is_a_503_naming_it(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_entry: SetupEntry,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another program locks the archive: 503 naming it, from the action too."""
    with archive_locked(hass, config_entry.entry_id, monkeypatch):
        await setup_entry()
        status, text, _ = await _get(hass_client, source="archive")
        with pytest.raises(HomeAssistantError) as caught:
            await hass.services.async_call(
                DOMAIN,
                "export",
                {"home": VILLA.id, "source": "archive"},
                blocking=True,
                return_response=True,
            )

    assert status == HTTPStatus.SERVICE_UNAVAILABLE, text
    body = await _json(text)
    assert body["store"] == "five-minute archive"
    assert body["parameter"] == "source"
    assert body["error"] == "The five-minute archive did not answer. Try again later"
    assert caught.value.translation_key == "store_unreachable"
    assert (caught.value.translation_placeholders or {})[
        "store"
    ] == "five-minute archive"

    status, text, _ = await _get(hass_client, source="archive")
    assert status == HTTPStatus.OK, text  # the lock gone, the same request works


async def _json(text: str) -> dict[str, str]:
    import json  # noqa: PLC0415

    body: dict[str, str] = json.loads(text)
    return body
