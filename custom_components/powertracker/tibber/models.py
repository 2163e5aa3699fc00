"""Typed results of the Tibber client, parsed from GraphQL answers."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Self


def camel_case(name: str) -> str:
    """GraphQL name of a snake_case attribute: current_l1 -> currentL1."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


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
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = data.get(camel_case(field.name))
            if field.name == "timestamp":
                values[field.name] = datetime.fromisoformat(str(raw))
            elif field.name == "currency":
                values[field.name] = raw
            elif field.name == "signal_strength":
                values[field.name] = None if raw is None else int(raw)
            else:
                values[field.name] = _float(raw)
        return cls(**values)


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
        return cls(
            start=datetime.fromisoformat(node["from"]),
            end=datetime.fromisoformat(node["to"]),
            energy=_float(node.get(kind)),
            money=_float(node.get("cost" if kind == "consumption" else "profit")),
            unit_price=_float(node.get("unitPrice")),
            currency=node.get("currency"),
        )


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The first measurement of each requested home on one websocket connection."""

    measurements: dict[str, LiveMeasurement]
    errors: dict[str, str]
    """Homes whose subscription failed, with Tibber's reason."""
