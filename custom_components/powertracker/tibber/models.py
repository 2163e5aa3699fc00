"""Typed results of the Tibber client, parsed from GraphQL answers."""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from functools import cache
from itertools import compress
from typing import Any, Self


def camel_case(name: str) -> str:
    """GraphQL name of a snake_case attribute: current_l1 -> currentL1."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


_ZONES: dict[tzinfo | None, tzinfo | None] = {}
"""One tzinfo per UTC offset seen (Tibber's zones have two or three)."""


def _time(text: str) -> datetime:
    """An ISO 8601 time whose offset shares one tzinfo with every time of that
    offset: a year of history holds 17,520 of them, each parsed with its own."""
    moment = datetime.fromisoformat(text)
    zone = _ZONES.setdefault(moment.tzinfo, moment.tzinfo)
    return moment if zone is moment.tzinfo else moment.replace(tzinfo=zone)


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address of a home."""

    address1: str | None
    postal_code: str | None
    city: str | None
    country: str | None


@dataclass(frozen=True, slots=True)
class Home:
    """A home of the Tibber account."""

    id: str
    nickname: str | None
    time_zone: str
    address: Address
    real_time_consumption: bool
    """True when a Pulse or Watty streams live measurements for this home."""
    subscription_status: str | None

    @property
    def name(self) -> str:
        """Human name: the app nickname, else the street address, else the id."""
        return self.nickname or self.address.address1 or self.id

    @classmethod
    def from_graphql(cls, data: dict[str, Any]) -> Self:
        """Parse one entry of `viewer.homes`."""
        address = data.get("address") or {}
        features = data.get("features") or {}
        subscription = data.get("currentSubscription") or {}
        return cls(
            id=data["id"],
            nickname=data.get("appNickname"),
            time_zone=data.get("timeZone") or "UTC",
            address=Address(
                address1=address.get("address1"),
                postal_code=address.get("postalCode"),
                city=address.get("city"),
                country=address.get("country"),
            ),
            real_time_consumption=bool(features.get("realTimeConsumptionEnabled")),
            subscription_status=subscription.get("status"),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """The owner of the token and their homes."""

    user_id: str
    name: str
    homes: tuple[Home, ...]

    @classmethod
    def from_graphql(cls, viewer: dict[str, Any]) -> Self:
        """Parse the `viewer` object."""
        return cls(
            user_id=viewer["userId"],
            name=viewer.get("name") or viewer.get("login") or viewer["userId"],
            homes=tuple(Home.from_graphql(home) for home in viewer.get("homes") or ()),
        )


@dataclass(frozen=True, slots=True)
class LiveMeasurement:
    """One `liveMeasurement` of a home, every field Tibber offers.

    Units: power in W, energy in kWh, current in A, voltage in V, money in
    `currency`. The accumulated values reset at the home's local midnight, the
    `*_last_hour` ones every hour; `last_meter_*` are the meter's registers.
    Every field but `timestamp` can be None: meters differ in what they send.
    """

    timestamp: datetime
    power: float | None
    power_production: float | None
    power_reactive: float | None
    power_factor: float | None
    currency: str | None
    signal_strength: int | None
    accumulated_consumption: float | None
    accumulated_production: float | None
    accumulated_cost: float | None
    accumulated_reward: float | None
    min_power: float | None
    average_power: float | None
    max_power: float | None
    accumulated_consumption_last_hour: float | None
    accumulated_production_last_hour: float | None
    last_meter_consumption: float | None
    last_meter_production: float | None
    current_l1: float | None
    current_l2: float | None
    current_l3: float | None
    voltage_phase1: float | None
    voltage_phase2: float | None
    voltage_phase3: float | None

    @classmethod
    def graphql_fields(cls) -> list[str]:
        """The GraphQL selection that fills every attribute."""
        return [camel_case(field.name) for field in fields(cls)]

    @classmethod
    def from_graphql(cls, data: dict[str, Any]) -> Self:
        """Parse a `liveMeasurement` payload."""
        return cls(
            **{name: parse(data.get(key)) for name, key, parse in _live_fields()}
        )


@cache
def _live_fields() -> tuple[tuple[str, str, Callable[[Any], Any]], ...]:
    """Each attribute of a live measurement: its GraphQL name and how its value
    is read (worked out once, not at every measurement of every poll)."""
    special: dict[str, Callable[[Any], Any]] = {
        "timestamp": lambda raw: datetime.fromisoformat(str(raw)),
        "currency": lambda raw: raw,
        "signal_strength": lambda raw: None if raw is None else int(raw),
    }
    return tuple(
        (field.name, camel_case(field.name), special.get(field.name, _float))
        for field in fields(LiveMeasurement)
    )


@dataclass(frozen=True, slots=True)
class EnergyHour:
    """One node of Tibber's consumption or production history."""

    start: datetime
    end: datetime
    energy: float | None
    """kWh consumed (or produced); None when Tibber has no reading yet."""
    money: float | None
    """Cost of the consumption, or profit of the production."""
    unit_price: float | None
    currency: str | None

    @classmethod
    def from_graphql(cls, node: dict[str, Any], kind: str) -> Self:
        """Parse a `consumption` or `production` node."""
        currency = node.get("currency")
        return cls(
            start=_time(node["from"]),
            end=_time(node["to"]),
            energy=_float(node.get(kind)),
            money=_float(node.get("cost" if kind == "consumption" else "profit")),
            unit_price=_float(node.get("unitPrice")),
            currency=sys.intern(currency) if currency else currency,
        )


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True, slots=True)
class HourColumns:
    """Hours of Tibber's history as columns, oldest first: a year of them in
    about 200 KiB, where as `EnergyHour`s they were 8,760 objects with 17,520
    datetimes (the first import's memory peak, which Python's memory kept).

    NaN stands for a value Tibber does not have (yet).
    """

    start: array[float]
    """Each hour's start, seconds since the epoch."""
    energy: array[float]
    """kWh consumed (or produced)."""
    money: array[float]
    """Cost of the consumption, or profit of the production."""
    currency: str | None
    """The first currency Tibber names."""

    def __len__(self) -> int:
        """Hours held."""
        return len(self.start)

    @classmethod
    def from_graphql(cls, nodes: Iterable[dict[str, Any]], kind: str) -> Self:
        """Parse `consumption` or `production` nodes, oldest first."""
        start, energy, money = array("d"), array("d"), array("d")
        currency: str | None = None
        money_key = "cost" if kind == "consumption" else "profit"
        for node in nodes:
            start.append(datetime.fromisoformat(node["from"]).timestamp())
            energy.append(_nan(node.get(kind)))
            money.append(_nan(node.get(money_key)))
            currency = currency or node.get("currency")
        return cls(start, energy, money, currency)

    @classmethod
    def join(cls, pages: Sequence[Self]) -> Self:
        """`pages`, oldest first, as one."""
        start, energy, money = array("d"), array("d"), array("d")
        for page in pages:
            start.extend(page.start)
            energy.extend(page.energy)
            money.extend(page.money)
        currency = next((page.currency for page in pages if page.currency), None)
        return cls(start, energy, money, currency)

    def measured_since(self, since: float) -> Self:
        """The hours from `since` (epoch seconds) on that have an energy."""
        keep = [
            start >= since and not math.isnan(energy)
            for start, energy in zip(self.start, self.energy, strict=True)
        ]
        return type(self)(
            array("d", compress(self.start, keep)),
            array("d", compress(self.energy, keep)),
            array("d", compress(self.money, keep)),
            self.currency,
        )


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The first measurement of each requested home on one websocket connection."""

    measurements: dict[str, LiveMeasurement]
    errors: dict[str, str]
    """Homes whose subscription failed, with Tibber's reason."""
