"""Tibber's latest published hour, for homes without a real-time meter.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from ..tibber import EnergyHour, Home, TibberClient, TibberError
from .answers import HistoryRound

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

    async def async_refresh(
        self, homes: Iterable[Home], now: datetime, history: HistoryRound
    ) -> None:
        """Ask for the hour that ended last before `now` (Home Assistant's clock)
        of each home that does not know it yet.

        Asked for on each poll until the hour that ended last is published,
        then not again before the next hour ends. `history` is the poll's
        round of reads under the one policy (`answers.py`): a failure keeps the
        previous hour and does not fail the poll (the live measurements already
        taken are kept), a rate limit ends the round, a rejected token fails it.
        """
        expected_end = now.replace(minute=0, second=0, microsecond=0)
        for home in homes:
            known = self._hours.get(home.id)
            if home.real_time_consumption or (known and known.end >= expected_end):
                continue
            nodes = await history.ask(partial(self.client.consumption, home.id, 3))
            if isinstance(nodes, TibberError):
                _LOGGER.debug("Latest hour of %s not read: %s", home.name, nodes)
                continue
            done = [node for node in nodes if node.energy is not None]
            if done:
                self._hours[home.id] = done[-1]
