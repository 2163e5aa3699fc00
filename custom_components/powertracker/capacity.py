"""Each home's capacity tariff: which rule its grid operator bills the peak on.

A configuration select on each home's device chooses one of `TARIFFS`
(`meter/tariff.py`: `none`, the operators' presets, or `custom`); the choice
is kept across restarts by the select itself, like the chart's settings. A
rule on quarter-hours needs five-minute samples, so it is offered only to
homes with a real-time meter.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

from .meter.listeners import HomeListeners
from .meter.tariff import NONE, PRESETS, TARIFFS


def offered(real_time: bool) -> list[str]:
    """The tariffs a home may choose: quarter-hour presets need a real-time meter."""
    return [
        tariff
        for tariff in TARIFFS
        if real_time or tariff not in PRESETS or PRESETS[tariff].basis == "hour"
    ]


class Tariffs(HomeListeners):
    """The tariff chosen for each of an entry's homes; listeners hear of changes."""

    def __init__(self) -> None:
        """Every home starts without a tariff."""
        super().__init__()
        self._chosen: dict[str, str] = {}

    def get(self, home_id: str) -> str:
        """A home's tariff (`none` until one is chosen)."""
        return self._chosen.get(home_id, NONE)

    def set(self, home_id: str, tariff: str) -> None:
        """Choose a home's tariff and tell who listens, if it changed."""
        if tariff != self.get(home_id):
            self._chosen[home_id] = tariff
            self.notify([home_id])
