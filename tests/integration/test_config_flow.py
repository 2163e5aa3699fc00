"""The config flow against the simulator: every step and every error."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker.const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    CONF_BACKFILL_DAYS,
    CONF_HOMES,
    CONF_OFFERED_HOMES,
    CONF_POLL_MINUTES,
    DOMAIN,
)
from loopback.tibber import HOMES, TibberSimulator

VILLA, CABIN = HOMES


async def test_user_flow_creates_an_entry_per_account(
    hass: HomeAssistant, tibber_sim: TibberSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "homes"
    schema = result["data_schema"]
    assert schema is not None
    options = schema.schema[CONF_HOMES].config["options"]
    assert [option["label"] for option in options] == [
        "Villa Solsidan (Storgatan 1, Stockholm)",
        "Sjövägen 7 (no real-time meter)",  # marked, as the README says
    ]
    # Which homes get hourly data only is said in the translated description.
    assert result["description_placeholders"] == {
        "account": "Ada Lovelace",
        "hourly_only": "Sjövägen 7",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOMES: [VILLA.id]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ada Lovelace"
    assert result["data"] == {
        CONF_TOKEN: tibber_sim.token,
        CONF_HOMES: [VILLA.id],
        CONF_OFFERED_HOMES: sorted(home.id for home in HOMES),
    }
    entry = result["result"]
    assert entry.unique_id == tibber_sim.viewer["userId"]
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    ("fault", "error", "placeholder"),
    [
        ({"token": "wrong"}, "invalid_auth", None),
        ({"http_status": 503}, "cannot_connect", None),
        ({"http_html": True}, "cannot_connect", None),
        ({"http_status": 429, "retry_after": "120"}, "rate_limited", "2"),
        ({"http_status": 429}, "rate_limited", "10"),
        ({"http_status": 404}, "unknown", None),
    ],
)
async def test_user_flow_errors_then_recovery(
    hass: HomeAssistant,
    tibber_sim: TibberSimulator,
    fault: dict[str, object],
    error: str,
    placeholder: str | None,
) -> None:
    token = str(fault.pop("token", tibber_sim.token))
    for name, value in fault.items():
        setattr(tibber_sim.faults, name, value)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: token}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    if placeholder:
        placeholders = result["description_placeholders"]
        assert placeholders is not None
        assert placeholders["retry_minutes"] == placeholder

    tibber_sim.faults.__init__()  # type: ignore[misc]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    assert result["step_id"] == "homes"


async def test_homes_must_not_be_empty(
    hass: HomeAssistant, tibber_sim: TibberSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOMES: []}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_homes"}
    # The form keeps what was submitted, not all homes ticked under the error.
    schema = result["data_schema"]
    assert schema is not None
    assert schema({})[CONF_HOMES] == []


async def test_same_account_twice_aborts(
    hass: HomeAssistant, tibber_sim: TibberSimulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_replaces_the_token(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    tibber_sim.token = "new-token"
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "new-token"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_TOKEN] == "new-token"
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reauth_with_another_account_aborts(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    tibber_sim.viewer["userId"] = "someone-else"
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure_keeps_the_token_and_changes_the_homes(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    # A step of its own, whose text warns what unticking a home deletes.
    assert result["step_id"] == "reconfigure_homes"
    step = f"component.{DOMAIN}.config.step"
    texts = await async_get_translations(hass, "en", "config", {DOMAIN})
    assert "deletes its device" in texts[f"{step}.reconfigure_homes.description"]
    assert "deletes" not in texts[f"{step}.homes.description"]
    schema = result["data_schema"]
    assert schema is not None
    assert schema({})[CONF_HOMES] == sorted(home.id for home in HOMES)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOMES: []}
    )
    assert result["errors"] == {"base": "no_homes"}
    assert result["step_id"] == "reconfigure_homes"
    schema = result["data_schema"]
    assert schema is not None
    assert schema({})[CONF_HOMES] == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOMES: [CABIN.id]}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data == {
        CONF_TOKEN: tibber_sim.token,
        CONF_HOMES: [CABIN.id],
        CONF_OFFERED_HOMES: sorted(home.id for home in HOMES),
    }


async def test_reconfigure_errors_and_wrong_account(
    hass: HomeAssistant, tibber_sim: TibberSimulator, loaded_entry: MockConfigEntry
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    tibber_sim.viewer["userId"] = "someone-else"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: tibber_sim.token}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_options(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    # The form starts from the current options (the default poll is 5 minutes).
    assert schema({}) == {
        CONF_POLL_MINUTES: 5,
        CONF_BACKFILL_DAYS: 2,
        CONF_ARCHIVE: True,
        CONF_ARCHIVE_DAYS: 730,
    }
    assert loaded_entry.runtime_data.archive is not None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_POLL_MINUTES: 15.0,
            CONF_BACKFILL_DAYS: 30.0,
            CONF_ARCHIVE: False,
            CONF_ARCHIVE_DAYS: 90.0,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        CONF_POLL_MINUTES: 15,
        CONF_BACKFILL_DAYS: 30,
        CONF_ARCHIVE: False,  # a bool, not the 0 a number field would give
        CONF_ARCHIVE_DAYS: 90,
    }
    assert loaded_entry.runtime_data.archive is None
    coordinator = loaded_entry.runtime_data.coordinator
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 15 * 60


@pytest.mark.parametrize(
    ("field", "value", "low", "high"),
    [
        (CONF_POLL_MINUTES, 2.5, 1, 60),  # not saved as 2
        (CONF_POLL_MINUTES, 0.0, 1, 60),
        (CONF_POLL_MINUTES, 61.0, 1, 60),
        (CONF_BACKFILL_DAYS, -1.0, 0, 3650),
        (CONF_ARCHIVE_DAYS, 36501.0, 0, 36500),
        (CONF_ARCHIVE_DAYS, 0.25, 0, 36500),
    ],
)
async def test_options_take_whole_numbers_within_their_range(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    field: str,
    value: float,
    low: int,
    high: int,
) -> None:
    before = dict(loaded_entry.options)
    general = {
        CONF_POLL_MINUTES: 15.0,
        CONF_BACKFILL_DAYS: 30.0,
        CONF_ARCHIVE: True,
        CONF_ARCHIVE_DAYS: 90.0,
    }
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**general, field: value}
    )
    # Powertracker's own sentence at the field, not Home Assistant's.
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "number_range"}
    assert result["description_placeholders"] == {"min": str(low), "max": str(high)}
    texts = await async_get_translations(hass, "en", "options", {DOMAIN})
    sentence = texts[f"component.{DOMAIN}.options.error.number_range"]
    assert "{min}" in sentence
    assert "{max}" in sentence
    assert loaded_entry.options == before
    # The form shows what was typed, to be corrected.
    schema = result["data_schema"]
    assert schema is not None
    (marker,) = (key for key in schema.schema if str(key) == field)
    assert marker.description["suggested_value"] == value

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], general
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_POLL_MINUTES] == 15
