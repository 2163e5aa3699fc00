"""One log line when a home stops sending live data, and one when it is back.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

_LOGGER = logging.getLogger(__name__)


class SilenceLog:
    """Logs the changes of which homes are silent, not every silent poll."""

    def __init__(self) -> None:
        """No home silent yet."""
        self._silent: set[str] = set()

    def poll(self, silent: Mapping[str, str], names: Mapping[str, str]) -> None:
        """Log the homes `silent` now (id: why) and not before, and the homes back."""
        for home_id in sorted(silent.keys() - self._silent):
            _LOGGER.warning("No live data from %s: %s", names[home_id], silent[home_id])
        for home_id in sorted(self._silent - silent.keys()):
            _LOGGER.info("Live data from %s is back", names[home_id])
        self._silent = set(silent)
