"""Build the Tibber client the way Home Assistant should talk to Tibber."""

from __future__ import annotations

import os

from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import ENV_API_URL, VERSION
from .tibber import DEFAULT_API_URL, TibberClient

USER_AGENT = f"HomeAssistant/{HA_VERSION} powertracker/{VERSION}"


def create_client(hass: HomeAssistant, token: str) -> TibberClient:
    """A client on Home Assistant's shared session, naming us in User-Agent."""
    return TibberClient(
        async_get_clientsession(hass),
        token,
        user_agent=USER_AGENT,
        api_url=os.environ.get(ENV_API_URL) or DEFAULT_API_URL,
        clock=lambda: dt_util.utcnow().timestamp(),
    )
