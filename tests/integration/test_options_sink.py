"""The options flow's sink steps, checked against real servers on 127.0.0.1.

InfluxDB is Debian's influxd (the fixtures of tests/sink), Timestream is moto.
Whether the reloaded entry then writes to the sink is not what these tests are
about: they pass either way.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import aiohttp
import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.data_entry_flow import FlowManagerIndexView
from homeassistant.helpers.translation import async_get_translations
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.powertracker.compat import vol
from custom_components.powertracker.const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    CONF_BACKFILL_DAYS,
    CONF_POLL_MINUTES,
    CONF_SINK,
    DOMAIN,
)
from custom_components.powertracker.options_flow import SECTION_ADVANCED
from custom_components.powertracker.record.stores import SinkKind
from custom_components.powertracker.sink.archive import ArchiveError
from custom_components.powertracker.sink.aws import (
    AwsConfigError,
    AwsNoCredentialsError,
)
from custom_components.powertracker.sink.influx_http import InfluxRequestError
from custom_components.powertracker.sink.models import (
    SinkError,
)
from loopback.influxd import (
    INFLUX_ADMIN,
    INFLUX_ADMIN_PASSWORD,
    INFLUX_DATABASE,
    Influxd,
    free_loopback_port,
)
from tests.sink import influx_fake, timestream_server
from tests.sink.influx_fake import FakeInflux
from tests.sink.timestream_server import REGION, MotoTimestream
from tests.test_definitions import settings_reasons

# moto's server of tests/sink (module attributes, so pytest finds them); the
# influxd fixtures are every test's (tests/conftest.py).
moto_server = timestream_server.moto_server
moto = timestream_server.moto
names = timestream_server.names
no_aws_credentials = timestream_server.no_aws_credentials
fake = influx_fake.fake

GENERAL = {
    CONF_POLL_MINUTES: 15.0,
    CONF_BACKFILL_DAYS: 2.0,
    CONF_ARCHIVE: True,
    CONF_ARCHIVE_DAYS: 365.0,
}
"""The init step as the frontend sends it (numbers as floats)."""
SAVED_GENERAL = {
    CONF_POLL_MINUTES: 15,
    CONF_BACKFILL_DAYS: 2,
    CONF_ARCHIVE: True,
    CONF_ARCHIVE_DAYS: 365,
}
"""What the options hold for GENERAL."""

TOKEN = "pt-influx-Token-0123456789"
WRONG_PASSWORD = "not-the-Admin-Pw-42"
KEY_ID = "AKIAPOWERTRACKERFLOW1"
SECRET = "pt/Flow+Secret/0123456789abcdefghijklmnop"
NEW_KEY_ID = "AKIAPOWERTRACKERFLOW2"
NEW_SECRET = "pt/Flow+Secret/second+key+zyxwvutsrqponm"
SINK_LOGGERS = ("custom_components.powertracker", "homeassistant.config_entries")


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Powertracker's and the flow manager's records, down to DEBUG."""
    for name in SINK_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def choose(hass: HomeAssistant, entry: MockConfigEntry, kind: SinkKind) -> Any:
    """Open the options, submit GENERAL with sink `kind`; the next result."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {**GENERAL, CONF_SINK: kind.value}
    )


async def submit(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    """Submit a step and let the reload that saving starts finish."""
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()
    return result


def form_json(hass: HomeAssistant, result: Any) -> str:
    """The form's schema as the frontend receives it (defaults, suggestions):
    serialized by Home Assistant's own flow view, whatever library it uses."""
    view = FlowManagerIndexView(hass.config_entries.options)
    return json.dumps(view._prepare_result_json(result)["data_schema"])


def suggested(schema: vol.Schema) -> dict[str, Any]:
    """Each field's suggested value or default, sections as nested dicts."""
    values: dict[str, Any] = {}
    for marker, validator in schema.schema.items():
        if isinstance(validator, section):
            values[str(marker)] = suggested(validator.schema)
        elif marker.description and "suggested_value" in marker.description:
            values[str(marker)] = marker.description["suggested_value"]
        elif marker.default is not vol.UNDEFINED:
            values[str(marker)] = marker.default()
    return values


def sink_errors() -> set[type[SinkError]]:
    """Every kind of error a sink's check can raise (the archive is no sink)."""
    found: set[type[SinkError]] = set()
    todo = [SinkError]
    while todo:
        kind = todo.pop()
        found.add(kind)
        todo += kind.__subclasses__()
    return {kind for kind in found if not issubclass(kind, ArchiveError)}


async def shown_error(hass: HomeAssistant, result: Any) -> str:
    """The form's error as the user reads it: the English sentence, filled in."""
    (key,) = result["errors"].values()
    texts = await async_get_translations(hass, "en", "options", {DOMAIN})
    sentence: str = texts[f"component.{DOMAIN}.options.error.{key}"]
    return sentence.format(**result["description_placeholders"])


def assert_one_clear_sentence(text: str, store: str) -> None:
    """Names the store once, ends once, gives its advice once."""
    assert text.count(store) == 1, text
    assert text.endswith("."), text
    assert not text.endswith(".."), text
    for doubled in ("?.", ".;", ". .", ". (", "?)"):
        assert doubled not in text, text
    assert text.count("check") + text.count("Check") <= 1, text
    assert "{" not in text, text


def influx_input(server: Influxd, **values: Any) -> dict[str, Any]:
    """The InfluxDB step's input for v1 on `server`, with `values` on top."""
    return {
        "url": server.url,
        "api": "v1",
        "database": INFLUX_DATABASE,
        "verify_ssl": True,
        **values,
    }


def timestream_input(
    moto: MotoTimestream, names: tuple[str, str], **values: Any
) -> dict[str, Any]:
    """The Timestream step's input for moto, with `values` on top."""
    database, table = names
    return {
        "region": REGION,
        "database": database,
        "table": table,
        "create": True,
        "memory_retention_hours": 24.0,
        "magnetic_retention_days": 365.0,
        "magnetic_writes": False,
        SECTION_ADVANCED: {"endpoint_url": moto.url},
        **values,
    }


# ---------------------------------------------------------------------------
# the init step and the strings
# ---------------------------------------------------------------------------


async def test_none_saves_the_options_as_before(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema)[CONF_SINK] == "none"
    selector = schema.schema[CONF_SINK].config
    assert selector["options"] == ["none", "timestream", "influxdb"]
    assert selector["translation_key"] == "sink_kind"

    result = await submit(hass, result, {**GENERAL, CONF_SINK: "none"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {**SAVED_GENERAL, CONF_SINK: {"kind": "none"}}
    assert loaded_entry.state is ConfigEntryState.LOADED
    interval = loaded_entry.runtime_data.coordinator.update_interval
    assert interval is not None
    assert interval.total_seconds() == 15 * 60


async def test_every_label_and_error_has_an_english_string(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    prefix = f"component.{DOMAIN}"
    selectors = await async_get_translations(hass, "en", "selector", {DOMAIN})
    for kind in SinkKind:
        assert selectors[f"{prefix}.selector.sink_kind.options.{kind.value}"]
    for api in ("v1", "v2", "v3"):
        assert selectors[f"{prefix}.selector.influx_api.options.{api}"]

    options = await async_get_translations(hass, "en", "options", {DOMAIN})
    reasons = {error.reason for error in sink_errors()}
    kinds = (InfluxRequestError, AwsConfigError, AwsNoCredentialsError)
    assert {kind.reason for kind in kinds} < reasons
    for key in reasons | {f"sink_{reason}" for reason in settings_reasons()}:
        assert options[f"{prefix}.options.error.{key}"], key
    step = f"{prefix}.options.step"
    for name in ("influxdb", "timestream"):
        assert options[f"{step}.{name}.title"]
        assert options[f"{step}.{name}.description"]
    assert options[f"{step}.influxdb.data.database"] == "Database or bucket"
    assert options[f"{step}.timestream.sections.advanced.data.endpoint_url"]


# ---------------------------------------------------------------------------
# InfluxDB
# ---------------------------------------------------------------------------


async def test_influxdb_v1_is_checked_then_saved_and_the_entry_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, influxdb: Influxd
) -> None:
    coordinator = loaded_entry.runtime_data.coordinator
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "influxdb"
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema) == {"api": "v2", "verify_ssl": True}

    result = await submit(
        hass, result, influx_input(influxdb, database="no_such_database")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "sink_not_found"}
    assert "no_such_database" in result["description_placeholders"]["error"]
    assert CONF_SINK not in loaded_entry.options
    assert loaded_entry.runtime_data.coordinator is coordinator

    # Blank optional fields are left out, text is trimmed.
    result = await submit(
        hass,
        result,
        influx_input(influxdb, url=f" {influxdb.url} ", org="", token="", username=""),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        **SAVED_GENERAL,
        CONF_SINK: {
            "kind": "influxdb",
            "url": influxdb.url,
            "api": "v1",
            "database": INFLUX_DATABASE,
            "verify_ssl": True,
        },
    }
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.coordinator is not coordinator


async def test_influxdb_unreachable_and_impossible_settings(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    influxdb: Influxd,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    before = dict(loaded_entry.options)
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    closed = f"http://127.0.0.1:{free_loopback_port()}"

    result = await submit(hass, result, influx_input(influxdb, url=closed))
    assert result["errors"] == {"base": "sink_unreachable"}
    assert closed in result["description_placeholders"]["error"]
    shown = await shown_error(hass, result)
    assert_one_clear_sentence(shown, "InfluxDB")
    assert "region" not in shown  # InfluxDB has none

    # A token and a username at once: the sink refuses to be built, and the
    # form says why at the field, in a translated sentence of its own.
    result = await submit(
        hass, result, influx_input(influxdb, token=TOKEN, username=INFLUX_ADMIN)
    )
    assert result["errors"] == {"token": "sink_token_or_password"}
    assert TOKEN not in str(result["description_placeholders"])

    result = await submit(hass, result, influx_input(influxdb, url="ftp://127.0.0.1"))
    assert result["errors"] == {"url": "sink_url_invalid"}
    # A port out of range: yarl raises while parsing; still the same sentence.
    result = await submit(
        hass, result, influx_input(influxdb, url="http://127.0.0.1:99999")
    )
    assert result["errors"] == {"url": "sink_url_invalid"}

    assert result["type"] is FlowResultType.FORM
    assert loaded_entry.options == before
    assert TOKEN not in debug_logs.text


async def test_a_server_that_is_no_influxdb_says_so_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, fake: FakeInflux
) -> None:
    """Another web server (aiohttp's own 404 page), or a wrong API version."""
    fake.answer([(404, "404: Not Found")])
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    settings = {"url": fake.url, "api": "v1", "database": "db", "verify_ssl": True}
    result = await submit(hass, result, settings)
    assert [request.path for request in fake.requests] == ["/ping"]
    assert result["errors"] == {"base": "sink_refused"}
    assert result["description_placeholders"]["error"] == "HTTP 404: Not Found"
    shown = await shown_error(hass, result)
    assert_one_clear_sentence(shown, "InfluxDB")
    assert "404: 404" not in shown
    assert "API version" in shown


async def test_influxdb_v2_needs_org_and_token(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, influxdb: Influxd
) -> None:
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)

    result = await submit(hass, result, influx_input(influxdb, api="v2", token=TOKEN))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"org": "sink_org_required"}

    result = await submit(hass, result, influx_input(influxdb, api="v2", org="home"))
    assert result["errors"] == {"token": "sink_token_required"}
    assert CONF_SINK not in loaded_entry.options


async def test_influxdb_credentials_and_editing_keeps_the_password(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    influxdb_auth: Influxd,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    result = await submit(
        hass,
        result,
        influx_input(influxdb_auth, username=INFLUX_ADMIN, password=WRONG_PASSWORD),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "sink_invalid_auth"}
    assert CONF_SINK not in loaded_entry.options

    result = await submit(
        hass,
        result,
        influx_input(
            influxdb_auth, username=INFLUX_ADMIN, password=INFLUX_ADMIN_PASSWORD
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    saved = {
        "kind": "influxdb",
        "url": influxdb_auth.url,
        "api": "v1",
        "database": INFLUX_DATABASE,
        "username": INFLUX_ADMIN,
        "password": INFLUX_ADMIN_PASSWORD,
        "verify_ssl": True,
    }
    assert loaded_entry.options[CONF_SINK] == saved

    # Editing: the form shows the settings but never the stored password.
    setup = loaded_entry.runtime_data
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema) == {
        "url": influxdb_auth.url,
        "api": "v1",
        "database": INFLUX_DATABASE,
        "username": INFLUX_ADMIN,
        "verify_ssl": True,
    }
    assert INFLUX_ADMIN_PASSWORD not in form_json(hass, result)

    # A new password replaces the stored one (and this one is wrong).
    result = await submit(
        hass,
        result,
        influx_input(influxdb_auth, username=INFLUX_ADMIN, password=WRONG_PASSWORD),
    )
    assert result["errors"] == {"base": "sink_invalid_auth"}

    # An empty password keeps the stored one, which the server accepts.
    result = await submit(
        hass, result, influx_input(influxdb_auth, username=INFLUX_ADMIN, password="")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_SINK] == saved
    assert loaded_entry.options[CONF_SINK]["password"] == INFLUX_ADMIN_PASSWORD
    assert loaded_entry.runtime_data is setup  # nothing changed: no reload

    for secret in (INFLUX_ADMIN_PASSWORD, WRONG_PASSWORD):
        assert secret not in debug_logs.text


async def test_influxdb_user_without_write_privilege(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    influxdb_auth: Influxd,
    http_session: aiohttp.ClientSession,
) -> None:
    user, password = f"reader_{uuid.uuid4().hex[:8]}", "Reader-Pw-0123"
    await influxdb_auth.query(
        http_session, f"CREATE USER {user} WITH PASSWORD '{password}'"
    )
    await influxdb_auth.query(
        http_session, f"GRANT READ ON {INFLUX_DATABASE} TO {user}"
    )

    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    result = await submit(
        hass, result, influx_input(influxdb_auth, username=user, password=password)
    )

    assert result["errors"] == {"base": "sink_permission_denied"}
    assert password not in result["description_placeholders"]["error"]
    assert CONF_SINK not in loaded_entry.options


# ---------------------------------------------------------------------------
# Timestream
# ---------------------------------------------------------------------------


async def test_timestream_creates_database_and_table_and_is_saved(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    moto: MotoTimestream,
    names: tuple[str, str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    database, table = names
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "timestream"
    schema = result["data_schema"]
    assert schema is not None
    advanced = schema.schema[SECTION_ADVANCED]
    assert isinstance(advanced, section)
    assert advanced.options["collapsed"] is True
    assert suggested(schema) == {
        "region": "eu-west-1",
        "create": True,
        "memory_retention_hours": 48,
        "magnetic_retention_days": 730,
        "magnetic_writes": True,
        SECTION_ADVANCED: {},
    }

    # One half of a key pair is a form error, and nothing is contacted.
    result = await submit(
        hass, result, timestream_input(moto, names, access_key_id=KEY_ID)
    )
    assert result["errors"] == {"secret_access_key": "sink_key_pair"}
    result = await submit(
        hass, result, timestream_input(moto, names, secret_access_key=SECRET)
    )
    assert result["errors"] == {"access_key_id": "sink_key_pair"}
    assert not moto.has_database(database)

    result = await submit(
        hass,
        result,
        timestream_input(moto, names, access_key_id=KEY_ID, secret_access_key=SECRET),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert moto.settings(database, table) == (24, 365, False)
    saved = {
        "kind": "timestream",
        "region": REGION,
        "database": database,
        "table": table,
        "access_key_id": KEY_ID,
        "secret_access_key": SECRET,
        "create": True,
        "memory_retention_hours": 24,
        "magnetic_retention_days": 365,
        "magnetic_writes": False,
        "endpoint_url": moto.url,
    }
    assert loaded_entry.options == {**SAVED_GENERAL, CONF_SINK: saved}
    assert type(loaded_entry.options[CONF_SINK]["memory_retention_hours"]) is int
    assert loaded_entry.state is ConfigEntryState.LOADED

    # Editing: the keys are not shown; leaving both empty keeps them.
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema) == {
        "region": REGION,
        "database": database,
        "table": table,
        "create": True,
        "memory_retention_hours": 24,
        "magnetic_retention_days": 365,
        "magnetic_writes": False,
        SECTION_ADVANCED: {"endpoint_url": moto.url},
    }
    shown = form_json(hass, result)
    assert KEY_ID not in shown
    assert SECRET not in shown

    result = await submit(
        hass,
        result,
        timestream_input(
            moto, names, access_key_id="", secret_access_key="", magnetic_writes=True
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_SINK] == {**saved, "magnetic_writes": True}
    # The reconciled table shows the settings were checked with the kept keys.
    assert moto.settings(database, table) == (24, 365, True)

    # A new pair replaces the stored one.
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    result = await submit(
        hass,
        result,
        timestream_input(
            moto, names, access_key_id=NEW_KEY_ID, secret_access_key=NEW_SECRET
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_SINK]["access_key_id"] == NEW_KEY_ID
    assert loaded_entry.options[CONF_SINK]["secret_access_key"] == NEW_SECRET

    for secret in (SECRET, NEW_SECRET):
        assert secret not in debug_logs.text


async def test_timestream_default_credential_chain(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    moto: MotoTimestream,
    names: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    no_aws_credentials: None,
) -> None:
    database, _ = names

    # No credentials anywhere: the check says so, nothing is saved.
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    result = await submit(hass, result, timestream_input(moto, names))
    assert result["errors"] == {"base": "sink_no_credentials"}
    assert_one_clear_sentence(await shown_error(hass, result), "Amazon Timestream")
    assert CONF_SINK not in loaded_entry.options

    # Credentials in the environment: the sink is saved without keys.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    result = await submit(hass, result, timestream_input(moto, names))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert moto.has_database(database)
    sink = loaded_entry.options[CONF_SINK]
    assert sink["kind"] == "timestream"
    assert "access_key_id" not in sink
    assert "secret_access_key" not in sink


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_retention_hours", 24.5),  # not saved as 24
        ("memory_retention_hours", 0.0),
        ("magnetic_retention_days", 73001.0),
    ],
)
async def test_timestream_retention_is_whole_and_in_range(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    moto: MotoTimestream,
    names: tuple[str, str],
    field: str,
    value: float,
) -> None:
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    result = await submit(
        hass,
        result,
        timestream_input(
            moto,
            names,
            access_key_id=KEY_ID,
            secret_access_key=SECRET,
            **{field: value},
        ),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "sink_retention_range"}
    assert CONF_SINK not in loaded_entry.options
    assert not moto.has_database(names[0])  # refused before asking AWS


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [
        ("127.0.0.1:4566", "sink_url_invalid"),  # no scheme
        ("http//127.0.0.1:4566", "sink_url_invalid"),
        ("http://127.0.0.1:99999", "sink_url_invalid"),
        ("http://key:secret@127.0.0.1:4566", "sink_url_credentials"),
        ("http://127.0.0.1:4566/?region=eu-west-1", "sink_url_query"),
    ],
)
async def test_timestream_endpoint_is_checked_like_the_influxdb_url(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    moto: MotoTimestream,
    names: tuple[str, str],
    caplog: pytest.LogCaptureFixture,
    endpoint: str,
    error: str,
) -> None:
    before = dict(loaded_entry.options)
    result = await choose(hass, loaded_entry, SinkKind.TIMESTREAM)
    result = await submit(
        hass,
        result,
        timestream_input(
            moto,
            names,
            access_key_id=KEY_ID,
            secret_access_key=SECRET,
            **{SECTION_ADVANCED: {"endpoint_url": endpoint}},
        ),
    )
    assert result["type"] is FlowResultType.FORM
    # At the collapsed section that holds the field, in a sentence of its own.
    assert result["errors"] == {SECTION_ADVANCED: error}
    assert loaded_entry.options == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # What the user typed stays in the form.
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema)[SECTION_ADVANCED] == {"endpoint_url": endpoint}


async def test_switching_back_to_none_drops_the_sink(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    influxdb: Influxd,
) -> None:
    result = await choose(hass, loaded_entry, SinkKind.INFLUXDB)
    result = await submit(hass, result, influx_input(influxdb))
    assert loaded_entry.options[CONF_SINK]["kind"] == "influxdb"

    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    assert suggested(schema)[CONF_SINK] == "influxdb"
    result = await submit(hass, result, {**GENERAL, CONF_SINK: "none"})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {**SAVED_GENERAL, CONF_SINK: {"kind": "none"}}
