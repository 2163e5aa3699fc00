"""Config flow: token, homes, reauth and reconfigure (options: `options_flow.py`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_TOKEN
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations

from .api import create_client
from .compat import vol
from .const import (
    CONF_HOMES,
    CONF_OFFERED_HOMES,
    DOMAIN,
)
from .data import PowertrackerConfigEntry
from .options_flow import PowertrackerOptionsFlow
from .tibber import (
    Account,
    Home,
    InvalidTokenError,
    RateLimitedError,
    TibberConnectionError,
    TibberError,
    TibberServerError,
)

_LOGGER = logging.getLogger(__name__)

TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _home_label(home: Home, no_real_time: str) -> str:
    """The home's name (with its address when it has a nickname), marked with
    `no_real_time` ("{home} (no real-time meter)") without a Pulse or Watty."""
    address = ", ".join(
        part for part in (home.address.address1, home.address.city) if part
    )
    label = f"{home.name} ({address})" if address and home.nickname else home.name
    return (
        label if home.real_time_consumption else no_real_time.replace("{home}", label)
    )


class PowertrackerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one Tibber account: a token, then the homes to track."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no account."""
        self._token = ""
        self._account: Account | None = None

    async def _validate(
        self, token: str, errors: dict[str, str], placeholders: dict[str, str]
    ) -> Account | None:
        """Ask Tibber who owns `token`; fill `errors` when that fails."""
        try:
            return await create_client(self.hass, token).account()
        except InvalidTokenError:
            errors["base"] = "invalid_auth"
        except RateLimitedError as err:
            errors["base"] = "rate_limited"
            placeholders["retry_minutes"] = str(
                math.ceil((err.retry_after or 600) / 60)
            )
        except (TibberConnectionError, TibberServerError):
            errors["base"] = "cannot_connect"
        except TibberError as err:
            # An answer the client could not place (a schema change, say).
            _LOGGER.warning("Unexpected answer from Tibber: %s", err)
            errors["base"] = "unknown"
        return None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the token and check it with Tibber before going on."""
        errors: dict[str, str] = {}
        placeholders = {
            "token_url": "https://developer.tibber.com/settings/access-token"
        }
        if user_input is not None:
            account = await self._validate(user_input[CONF_TOKEN], errors, placeholders)
            if account is not None:
                await self.async_set_unique_id(account.user_id)
                self._abort_if_unique_id_configured()
                self._token, self._account = user_input[CONF_TOKEN], account
                return await self.async_step_homes()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_homes(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the homes to track (all by default)."""
        assert self._account is not None
        errors: dict[str, str] = {}
        known = {home.id for home in self._account.homes}
        if self.source == "reconfigure":
            current = self._get_reconfigure_entry().data[CONF_HOMES]
            default = [home for home in current if home in known]
        else:
            default = list(known)
        if user_input is not None:
            default = list(user_input[CONF_HOMES])  # shown again with an error
            homes = {
                CONF_HOMES: user_input[CONF_HOMES],
                CONF_OFFERED_HOMES: sorted(home.id for home in self._account.homes),
            }
            if not user_input[CONF_HOMES]:
                errors["base"] = "no_homes"
            elif self.source == "reconfigure":
                return self.async_update_reload_and_abort(
                    self._get_reconfigure_entry(),
                    data_updates={CONF_TOKEN: self._token, **homes},
                )
            else:
                return self.async_create_entry(
                    title=self._account.name, data={CONF_TOKEN: self._token, **homes}
                )
        # An option's label is not translated where it is shown: written in
        # the server's language, as the statistics' names are.
        marks = await async_get_translations(
            self.hass, self.hass.config.language, "selector", [DOMAIN]
        )
        no_real_time = marks[f"component.{DOMAIN}.selector.home.options.no_real_time"]
        return self.async_show_form(
            # Reconfiguring, the form warns that unticking deletes a device.
            step_id="reconfigure_homes" if self.source == "reconfigure" else "homes",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_HOMES, default=sorted(default)): SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(
                                    value=home.id, label=_home_label(home, no_real_time)
                                )
                                for home in self._account.homes
                            ],
                            multiple=True,
                        )
                    )
                }
            ),
            errors=errors,
            description_placeholders={
                "account": self._account.name,
                "hourly_only": ", ".join(
                    home.name
                    for home in self._account.homes
                    if not home.real_time_consumption
                )
                or "-",
            },
        )

    async def async_step_reconfigure_homes(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The homes step of a reconfiguration (its own text: the warning)."""
        return await self.async_step_homes(user_input)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Tibber rejected the stored token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new token of the same account."""
        errors: dict[str, str] = {}
        placeholders = {"account": self._get_reauth_entry().title}
        if user_input is not None:
            account = await self._validate(user_input[CONF_TOKEN], errors, placeholders)
            if account is not None:
                await self.async_set_unique_id(account.user_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    self._get_reauth_entry(),
                    data_updates={CONF_TOKEN: user_input[CONF_TOKEN]},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): TOKEN_SELECTOR}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token (blank keeps it), then the homes."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"account": entry.title}
        if user_input is not None:
            token = user_input.get(CONF_TOKEN) or entry.data[CONF_TOKEN]
            account = await self._validate(token, errors, placeholders)
            if account is not None:
                await self.async_set_unique_id(account.user_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                self._token, self._account = token, account
                return await self.async_step_reconfigure_homes()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema({vol.Optional(CONF_TOKEN): TOKEN_SELECTOR}),
            errors=errors,
            description_placeholders=placeholders,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: PowertrackerConfigEntry) -> OptionsFlow:
        """Poll interval, history span, and the sink (`options_flow.py`)."""
        return PowertrackerOptionsFlow()
