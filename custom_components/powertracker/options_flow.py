"""The options: how often to poll, how much history to import, where samples go.

`init` holds the general options; choosing a sink there leads to that sink's
step, and the options are saved only once its settings check out (the sink
connects and checks). Stored secrets are never shown; an empty field keeps
them.

Home Assistant reloads the entry when saving changes its stored options
(`OptionsFlowWithReload`; no update listener, which Home Assistant reports
beside the reload helpers of reauth and reconfigure and makes an error from
2026.12). Saving what the user did not change keeps the stored options, so it
does not reload, the first save after setup included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .capacity import CONF_CAPACITY, capacity_settings
from .compat import vol
from .const import (
    CONF_ARCHIVE,
    CONF_ARCHIVE_DAYS,
    CONF_BACKFILL_DAYS,
    CONF_POLL_MINUTES,
    CONF_SINK,
    DEFAULT_ARCHIVE_DAYS,
    DEFAULT_BACKFILL_DAYS,
    DEFAULT_POLL_MINUTES,
)
from .meter.tariff import TariffError
from .record.stores import SinkKind, create_sink, sink_settings
from .sink.models import SettingsError, SinkError
from .sink.settings import (
    DEFAULT_AWS_REGION,
    DEFAULT_MAGNETIC_RETENTION_DAYS,
    DEFAULT_MEMORY_RETENTION_HOURS,
    INFLUX_APIS,
    SECRETS,
    whole_number,
)

_LOGGER = logging.getLogger(__name__)

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT_SELECTOR = TextSelector()
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
USERNAME_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="username"))
SINK_KIND_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[kind.value for kind in SinkKind], translation_key="sink_kind"
    )
)
INFLUX_API_SELECTOR = SelectSelector(
    SelectSelectorConfig(options=list(INFLUX_APIS), translation_key="influx_api")
)

STORES: dict[SinkKind, str] = {
    SinkKind.INFLUXDB: "InfluxDB",
    SinkKind.TIMESTREAM: "Amazon Timestream",
}
"""The `{store}` of the translated errors (names, not translated)."""

SECTION_ADVANCED = "advanced"
"""The collapsed section of the Timestream step (the test-server endpoint)."""


NUMBERS: dict[str, range] = {
    CONF_POLL_MINUTES: range(1, 60 + 1),
    CONF_BACKFILL_DAYS: range(3650 + 1),
    CONF_ARCHIVE_DAYS: range(36500 + 1),
}
"""The general options' numbers: whole, within these."""


def _box(unit: str | None, step: Literal[1, "any"] = 1) -> NumberSelector:
    """A field of numbers in `unit` (None: a count or a factor), whole unless
    `step` is "any".

    Without min and max: the selector would refuse a number out of range with
    Home Assistant's generic text, before the step could say what is allowed
    (`whole_number`, which also refuses 2.5 rather than truncate it; the
    capacity rule checks its own ranges).
    """
    config = NumberSelectorConfig(step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


GENERAL: tuple[tuple[str, Any, Any], ...] = (
    (CONF_POLL_MINUTES, DEFAULT_POLL_MINUTES, _box("min")),
    (CONF_BACKFILL_DAYS, DEFAULT_BACKFILL_DAYS, _box("d")),
    (CONF_ARCHIVE, True, BooleanSelector()),
    (CONF_ARCHIVE_DAYS, DEFAULT_ARCHIVE_DAYS, _box("d")),
)
"""The init step's general options: key, default, field."""


def _meaning(options: Mapping[str, Any]) -> dict[str, Any]:
    """What `options` mean: a missing general option is its default, a missing
    sink is none, missing capacity settings the defaults."""
    return {
        **{key: default for key, default, _ in GENERAL},
        **options,
        CONF_SINK: sink_settings(options),
        CONF_CAPACITY: capacity_settings(options.get(CONF_CAPACITY) or {}),
    }


def _choices(values: range, key: str | None = None) -> SelectSelector:
    """Several of `values` (weekdays, hours, months), as strings."""
    config = SelectSelectorConfig(
        options=[str(value) for value in values], multiple=True
    )
    if key is not None:
        config["translation_key"] = key
    return SelectSelector(config)


CAPACITY_FIELDS: dict[str, Any] = {
    "price_per_kw_month": None,  # in Home Assistant's currency: `_capacity_schema`
    "brackets": TextSelector(TextSelectorConfig(multiline=True)),
    "peaks": _box(None),
    "one_per_day": BooleanSelector(),
    "basis": SelectSelector(
        SelectSelectorConfig(options=["hour", "quarter"], translation_key="basis")
    ),
    "weekdays": _choices(range(7), "weekday"),
    "hours": _choices(range(24)),
    "months": _choices(range(1, 13), "month"),
    "weight": _box(None, "any"),
    "weighted_hours": _choices(range(24)),
    "months_averaged": SelectSelector(
        SelectSelectorConfig(options=["1", "12"], translation_key="months_averaged")
    ),
    "minimum_kw": _box("kW", "any"),
}
"""The capacity section: the price or steps of every tariff, the custom rule."""


def _capacity_schema(settings: Mapping[str, Any], currency: str) -> vol.Schema:
    """The capacity section's fields, showing `settings` (`capacity_settings`),
    the price in `currency` per kW."""
    price = _box(f"{currency}/kW", "any")
    return vol.Schema(
        {
            (
                vol.Optional(key, description={"suggested_value": settings.get(key)})
                if key in ("price_per_kw_month", "brackets")
                else vol.Required(key, default=settings[key])
            ): selector or price
            for key, selector in CAPACITY_FIELDS.items()
        }
    )


class PowertrackerOptionsFlow(OptionsFlowWithReload):
    """How often to poll, how much history to backfill, and where samples go.

    `init` holds the general options; choosing a sink there leads to that
    sink's step, and the options are saved only once its settings check out.
    """

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._options: dict[str, Any] = {}

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The general options and the kind of sink."""
        options = self.config_entry.options
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        shown: Mapping[str, Any] = {}
        if user_input is not None:
            values = dict(user_input)
            kind = values.pop(CONF_SINK, None)
            entered = values.pop(CONF_CAPACITY, None)
            if entered is not None:
                try:
                    values[CONF_CAPACITY] = capacity_settings(entered, check=True)
                except TariffError as err:
                    errors[CONF_CAPACITY] = err.code
                    shown = user_input
            elif CONF_CAPACITY in options:
                values[CONF_CAPACITY] = options[CONF_CAPACITY]
        if user_input is not None and not errors:
            try:
                self._options = {
                    key: whole_number(key, value, NUMBERS[key])
                    if key in NUMBERS
                    else value
                    for key, value in values.items()
                }
            except SettingsError as err:  # the first field at fault
                errors[err.field or "base"] = "number_range"
                placeholders = err.placeholders
                shown = user_input
        if user_input is not None and not errors:
            if kind is None:
                # Not submitted (only possible through the API): keep the sink.
                if CONF_SINK in options:
                    self._options[CONF_SINK] = options[CONF_SINK]
                return self._save(self._options)
            if kind == SinkKind.TIMESTREAM:
                return await self.async_step_timestream()
            if kind == SinkKind.INFLUXDB:
                return await self.async_step_influxdb()
            return self._save(
                {**self._options, CONF_SINK: {"kind": SinkKind.NONE.value}}
            )
        schema: dict[Any, Any] = {
            vol.Required(key, default=options.get(key, default)): selector
            for key, default, selector in GENERAL
        }
        # A suggested value, not a default: the form shows the current kind,
        # and a submission without the field leaves the sink as it is.
        schema[_optional(CONF_SINK, str(sink_settings(options)["kind"]))] = (
            SINK_KIND_SELECTOR
        )
        # Open when it holds the error: the message stands above the section.
        schema[vol.Optional(CONF_CAPACITY)] = section(
            _capacity_schema(
                capacity_settings(options.get(CONF_CAPACITY) or {}),
                self.hass.config.currency,
            ),
            {"collapsed": CONF_CAPACITY not in errors},
        )
        return self.async_show_form(
            step_id="init",
            # After an error, what was submitted.
            data_schema=self.add_suggested_values_to_schema(vol.Schema(schema), shown),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_influxdb(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """InfluxDB 1.x/2.x/3.x or Timestream for InfluxDB."""
        stored = self._stored(SinkKind.INFLUXDB)
        errors: dict[str, str] = {}
        placeholders = {"error": "", "store": ""}
        shown = _without_secrets(stored)
        if user_input is not None:
            settings = _cleaned(user_input)
            _keep_influx_secrets(settings, stored)
            settings = {"kind": SinkKind.INFLUXDB.value, **settings}
            if await self._check_sink(settings, errors, placeholders):
                return self._save({**self._options, CONF_SINK: settings})
            # What the user typed in this flow, secrets included (stored ones not).
            shown = dict(user_input)
        schema = vol.Schema(
            {
                vol.Required("url"): URL_SELECTOR,
                vol.Required("api", default="v2"): INFLUX_API_SELECTOR,
                vol.Required("database"): TEXT_SELECTOR,
                vol.Optional("org"): TEXT_SELECTOR,
                vol.Optional("token"): PASSWORD_SELECTOR,
                vol.Optional("username"): USERNAME_SELECTOR,
                vol.Optional("password"): PASSWORD_SELECTOR,
                vol.Required("verify_ssl", default=True): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="influxdb",
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_timestream(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """AWS Timestream for LiveAnalytics."""
        stored = self._stored(SinkKind.TIMESTREAM)
        errors: dict[str, str] = {}
        placeholders = {"error": "", "store": ""}
        shown = _without_secrets(stored)
        if "endpoint_url" in shown:
            shown[SECTION_ADVANCED] = {"endpoint_url": shown.pop("endpoint_url")}
        if user_input is not None:
            values = dict(user_input)
            values.update(values.pop(SECTION_ADVANCED, None) or {})
            settings = _cleaned(values)
            given = {"access_key_id", "secret_access_key"} & settings.keys()
            if not given and "access_key_id" in stored:
                # Both empty while editing: keep the stored key pair.
                settings["access_key_id"] = stored["access_key_id"]
                settings["secret_access_key"] = stored["secret_access_key"]
            settings = {"kind": SinkKind.TIMESTREAM.value, **settings}
            if await self._check_sink(settings, errors, placeholders):
                return self._save({**self._options, CONF_SINK: settings})
            if "endpoint_url" in errors:  # shown at its section
                errors[SECTION_ADVANCED] = errors.pop("endpoint_url")
            shown = dict(user_input)
        schema = vol.Schema(
            {
                vol.Required("region", default=DEFAULT_AWS_REGION): TEXT_SELECTOR,
                vol.Required("database"): TEXT_SELECTOR,
                vol.Required("table"): TEXT_SELECTOR,
                vol.Optional("access_key_id"): TEXT_SELECTOR,
                vol.Optional("secret_access_key"): PASSWORD_SELECTOR,
                vol.Required("create", default=True): BooleanSelector(),
                vol.Required(
                    "memory_retention_hours", default=DEFAULT_MEMORY_RETENTION_HOURS
                ): _box("h"),
                vol.Required(
                    "magnetic_retention_days", default=DEFAULT_MAGNETIC_RETENTION_DAYS
                ): _box("d"),
                vol.Required("magnetic_writes", default=True): BooleanSelector(),
                vol.Optional(SECTION_ADVANCED): section(
                    vol.Schema({vol.Optional("endpoint_url"): URL_SELECTOR}),
                    {"collapsed": True},
                ),
            }
        )
        return self.async_show_form(
            step_id="timestream",
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _save(self, options: dict[str, Any]) -> ConfigFlowResult:
        """Save `options`, or keep the stored ones where they mean the same:
        Home Assistant reloads the entry when the stored options change, and
        options the user did not change (the defaults the form showed for
        missing keys, on the first save after setup) must not reload it."""
        stored = self.config_entry.options
        if _meaning(options) == _meaning(stored):
            return self.async_create_entry(data=dict(stored))
        return self.async_create_entry(data=options)

    def _stored(self, kind: SinkKind) -> dict[str, Any]:
        """The entry's sink settings if they are of `kind`, without the kind."""
        settings = sink_settings(self.config_entry.options)
        if settings.pop("kind") != kind:
            return {}
        return settings

    async def _check_sink(
        self,
        settings: dict[str, Any],
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> bool:
        """Build the sink and let it check its settings; fill `errors` if not."""
        try:
            sink = create_sink(self.hass, settings)
        except SettingsError as err:  # translated whole, at the field at fault
            errors[err.field or "base"] = f"sink_{err.reason}"
            placeholders.update(err.placeholders)
            return False
        if sink is None:
            return True
        placeholders["store"] = STORES[SinkKind(settings["kind"])]
        try:
            await sink.validate()
        except SinkError as err:  # the detail names no secret
            errors["base"] = err.reason
            placeholders["error"] = err.detail.rstrip(" .")
        except Exception as err:
            # Sinks raise SinkError for every failure they know; this is a bug.
            _LOGGER.exception("Unexpected error checking the %s sink", settings["kind"])
            errors["base"] = "unknown"
            placeholders["error"] = type(err).__name__
        finally:
            await sink.close()
        return not errors


def _optional(key: str, suggested: Any) -> vol.Optional:
    """An optional field showing `suggested` (a suggestion, not a default)."""
    return vol.Optional(key, description={"suggested_value": suggested})


def _cleaned(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as sink settings: whole numbers as int, blanks left out.

    A number with a fraction stays as it is, for the sink to refuse (never
    truncated). Text other than secrets loses surrounding whitespace (pasted
    names and URLs); secrets stay exactly as typed.
    """
    settings: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float) and value.is_integer():
            settings[key] = int(value)
        elif isinstance(value, str):
            text = value if key in SECRETS else value.strip()
            if text:
                settings[key] = text
        else:
            settings[key] = value
    return settings


def _without_secrets(settings: Mapping[str, Any]) -> dict[str, Any]:
    """`settings` fit to show in a form: stored secrets never go to the browser."""
    return {key: value for key, value in settings.items() if key not in SECRETS}


def _keep_influx_secrets(settings: dict[str, Any], stored: Mapping[str, Any]) -> None:
    """Fill empty token/password from the stored settings of an InfluxDB sink.

    Only when the form gives neither: a new token or password replaces the
    stored credentials. The stored password goes with a username, the stored
    token with none (so clearing the username switches to the token).
    """
    if settings.get("token") or settings.get("password"):
        return
    if settings.get("username"):
        if stored.get("password"):
            settings["password"] = stored["password"]
    elif stored.get("token"):
        settings["token"] = stored["token"]
