"""The `powertracker.export` action."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.powertracker.const import DOMAIN
from loopback.tibber import HOMES
from tests.integration.conftest import Clock, SetupEntry, home_device

VILLA, CABIN = HOMES


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration folder of the test's own, with www/ allowed as usual."""
    hass.config.config_dir = str(tmp_path)
    hass.config.allowlist_external_dirs = {str(tmp_path / "www")}
    return tmp_path


async def _export(hass: HomeAssistant, **data: object) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, "export", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_writes_into_www_and_says_where(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    response = await _export(hass, aggregate="1h", home=VILLA.id, filename="today.csv")
    path = config_dir / "www" / "powertracker" / "today.csv"
    assert response["path"] == str(path)
    assert response["url"] == "/local/powertracker/today.csv"
    body = path.read_bytes()
    assert response["bytes"] == len(body)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert response["rows"] == len(rows) > 0
    assert {row["home_id"] for row in rows} == {VILLA.id}


async def test_the_home_can_be_picked_as_its_device(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    """The form's device selector sends a device id, not a Tibber home id."""
    device = home_device(dr.async_get(hass), loaded_entry, VILLA.id)
    assert device is not None
    response = await _export(hass, aggregate="1h", home=device.id)
    body = Path(str(response["path"])).read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows
    assert {row["home_id"] for row in rows} == {VILLA.id}


async def test_default_file_name_and_png(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    response = await _export(hass, output="png", aggregate="1h", width=600, height=200)
    path = Path(str(response["path"]))
    assert path.parent == config_dir / "www" / "powertracker"
    assert path.name.startswith("powertracker_")
    assert path.suffix == ".png"
    assert path.read_bytes().startswith(b"\x89PNG")


async def test_each_home_has_its_own_default_file(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    """Exporting the cabin after the villa keeps the villa's file."""
    villa = Path(str((await _export(hass, aggregate="1h", home=VILLA.id))["path"]))
    cabin = Path(str((await _export(hass, aggregate="1h", home=CABIN.id))["path"]))
    both = Path(str((await _export(hass, aggregate="1h"))["path"]))
    assert villa.name.startswith("powertracker_villa_solsidan_")
    assert cabin.name.startswith("powertracker_sjovagen_7_")
    assert len({villa, cabin, both}) == 3
    for path, homes in ((villa, {VILLA.id}), (cabin, {CABIN.id})):
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
        assert {row["home_id"] for row in rows} == homes


async def test_the_url_works_on_a_fresh_install(
    hass: HomeAssistant,
    config_dir: Path,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """No `www` when Home Assistant started: the first export creates it, and
    the URL it returns serves the file at once (not after a restart)."""
    assert not (config_dir / "www").exists()
    first = await _export(hass, aggregate="1h", filename="today.csv")
    second = await _export(hass, output="png", aggregate="1h", directory="www/more")
    # (The test client freezes the router, which Home Assistant's server does not.)
    client = await hass_client_no_auth()
    for response in (first, second):
        served = await client.get(str(response["url"]))
        assert served.status == 200, response["url"]
        assert await served.read() == Path(str(response["path"])).read_bytes()
    assert (await client.get("/local/powertracker/nothing.csv")).status == 404


@pytest.mark.parametrize(
    "filename",
    [
        "../escape.csv",
        "sub/dir.csv",
        ".hidden.csv",
        "..",
        "page.html",
        "nul\x00.csv",
        "line\nbreak.csv",
        "x" * 300 + ".csv",
    ],
)
async def test_path_traversal_is_refused(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry, filename: str
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await _export(hass, aggregate="1h", filename=filename)
    assert caught.value.translation_key == "invalid_filename"
    assert not (config_dir / "www" / "escape.csv").exists()
    assert not (config_dir / "www" / "powertracker").exists()


async def test_the_url_of_any_plain_name_is_quoted(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    response = await _export(hass, aggregate="1h", filename="förbrukning 1%.csv")
    assert response["url"] == "/local/powertracker/f%C3%B6rbrukning%201%25.csv"
    assert (config_dir / "www" / "powertracker" / "förbrukning 1%.csv").is_file()


async def test_an_impossible_directory_is_a_translated_error(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await _export(hass, aggregate="1h", directory="www/a\x00b")
    assert caught.value.translation_key == "write_failed"


async def test_a_directory_outside_the_allowlist_is_refused(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await _export(hass, aggregate="1h", directory=str(config_dir / "secrets"))
    assert caught.value.translation_key == "path_not_allowed"
    assert not (config_dir / "secrets").exists()


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"aggregate": "2h"}, "invalid_value"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "empty_range"),
        ({"home": "nope"}, "unknown_home"),
    ],
)
async def test_bad_input_is_a_translated_validation_error(
    hass: HomeAssistant,
    config_dir: Path,
    loaded_entry: MockConfigEntry,
    data: dict[str, str],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await _export(hass, **data)
    assert caught.value.translation_key == key
    assert caught.value.translation_domain == DOMAIN


async def test_only_admins_may_write_files(
    hass: HomeAssistant,
    config_dir: Path,
    loaded_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "export",
            {"aggregate": "1h"},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert not (config_dir / "www").exists()


async def test_a_relative_directory_is_inside_the_configuration(
    hass: HomeAssistant, config_dir: Path, loaded_entry: MockConfigEntry
) -> None:
    response = await _export(hass, aggregate="1h", directory="www/reports")
    assert Path(str(response["path"])).parent == config_dir / "www" / "reports"
    assert response["url"] is not None


async def test_five_minutes_of_a_home_without_a_real_time_meter_are_said_missing(
    hass: HomeAssistant, config_dir: Path, clock: Clock, setup_entry: SetupEntry
) -> None:
    """The cabin has only Tibber's hours: its 5-minute rows are empty, and the
    answer says the whole span has no data instead of `missing: []`."""
    await setup_entry()
    for _ in range(12):  # an hour of polls: the archive holds the cabin's too
        await clock.advance(hass, timedelta(minutes=5))
    tz = dt_util.get_default_time_zone()
    end = dt_util.now(tz).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 5)
    start = end - timedelta(hours=3)  # from before the setup: the recorder too
    response = await _export(
        hass,
        aggregate="5m",
        home=CABIN.id,
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    body = Path(str(response["path"])).read_text()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 36
    assert all(row["consumption_kwh"] == "" for row in rows)
    assert response["missing"] == [
        {
            "home": CABIN.name,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "store": None,
            "reason": "no_data",
        }
    ]
