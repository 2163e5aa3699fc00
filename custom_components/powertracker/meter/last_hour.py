"""Tibber's latest published hour, for homes without a real-time meter.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from .tibber import (
    EnergyHour,
    Home,
    InvalidTokenError,
    RateLimitedError,
    TibberClient,
    TibberError,
)

_LOGGER = logging.getLogger(__name__)


class LastHours:
    """The latest complete hour of each home without a real-time meter."""

    def __init__(self, client: TibberClient) -> None:
        """Ask `client` for the hours."""
        self.client = client
        self._hours: dict[str, EnergyHour] = {}

    def get(self, home_id: str) -> EnergyHour | None:
        """The latest complete hour known of `home_id`."""
        return self._hours.get(home_id)

    async def async_refresh(self, homes: Iterable[Home], now: datetime) -> None:
        """Ask for the hour that ended last before `now` (Home Assistant's clock)
        of each home that does not know it yet.

        Asked for on each poll until the hour that ended last is published,
        then not again before the next hour ends. A failure keeps the previous
        hour and does not fail the poll: the live measurements already taken
        are kept. A rate limit also ends the round (the client sends nothing
        more until Tibber's Retry-After has passed); a rejected token fails it.
        """
        expected_end = now.replace(minute=0, second=0, microsecond=0)
        for home in homes:
            known = self._hours.get(home.id)
            if home.real_time_consumption or (known and known.end >= expected_end):
                continue
            try:
                nodes = await self.client.consumption(home.id, 3)
            except InvalidTokenError:
                raise
            except RateLimitedError as err:
                _LOGGER.debug("Latest hours not read: %s", err)
                return
            except TibberError as err:
                _LOGGER.debug("Latest hour of %s not read: %s", home.name, err)
                continue
            done = [node for node in nodes if node.energy is not None]
            if done:
                self._hours[home.id] = done[-1]
