"""Callbacks per home: who wants to know when something of a home changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

type Listener = Callable[[], None]


class HomeListeners:
    """Listeners by home id."""

    def __init__(self) -> None:
        """Nobody listens yet."""
        self._listeners: dict[str, list[Listener]] = {}

    def listen(self, home_id: str, listener: Listener) -> Callable[[], None]:
        """Call `listener` when `home_id` changes; return the undo."""
        listeners = self._listeners.setdefault(home_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def notify(self, home_ids: Iterable[str]) -> None:
        """Call the listeners of each home."""
        for home_id in home_ids:
            for listener in list(self._listeners.get(home_id, ())):
                listener()
