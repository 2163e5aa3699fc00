"""The subset of Tibber's GraphQL schema the integration uses, with resolvers.

Type and field names follow Tibber's public schema (v1-beta), so a query that
works here works against Tibber, and a typo fails here as it would there.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema

from . import house

if TYPE_CHECKING:
    from .server import TibberSimulator

SDL = """
schema { query: Query subscription: RootSubscription }

type Query { viewer: Viewer! }

type Viewer {
  login: String
  userId: String
  name: String
  accountType: [String!]!
  homes: [Home]!
  home(id: ID!): Home!
  websocketSubscriptionUrl: String
}

type Home {
  id: ID!
  timeZone: String!
  appNickname: String
  address: Address
  features: HomeFeatures
  currentSubscription: Subscription
  consumption(
    resolution: EnergyResolution!, first: Int, last: Int, before: String, after: String
    filterEmptyNodes: Boolean = false
  ): HomeConsumptionConnection
  production(
    resolution: EnergyResolution!, first: Int, last: Int, before: String, after: String
    filterEmptyNodes: Boolean = false
  ): HomeProductionConnection
}

type Address {
  address1: String
  address2: String
  address3: String
  postalCode: String
  city: String
  country: String
  latitude: String
  longitude: String
}

type HomeFeatures { realTimeConsumptionEnabled: Boolean }

type Subscription { id: ID status: String validFrom: String validTo: String }

enum EnergyResolution { HOURLY DAILY WEEKLY MONTHLY ANNUAL }

type PageInfo {
  endCursor: String
  hasNextPage: Boolean
  hasPreviousPage: Boolean
  startCursor: String
  count: Int
  currency: String
}

type HomeConsumptionConnection { pageInfo: PageInfo! nodes: [Consumption] }
type HomeProductionConnection { pageInfo: PageInfo! nodes: [Production] }

type Consumption {
  from: String!
  to: String!
  unitPrice: Float
  unitPriceVAT: Float
  consumption: Float
  consumptionUnit: String
  cost: Float
  currency: String
}

type Production {
  from: String!
  to: String!
  unitPrice: Float
  unitPriceVAT: Float
  production: Float
  productionUnit: String
  profit: Float
  currency: String
}

type LiveMeasurement {
  timestamp: String!
  power: Float!
  lastMeterConsumption: Float
  accumulatedConsumption: Float!
  accumulatedProduction: Float!
  accumulatedConsumptionLastHour: Float!
  accumulatedProductionLastHour: Float!
  accumulatedCost: Float
  accumulatedReward: Float
  currency: String
  minPower: Float!
  averagePower: Float!
  maxPower: Float!
  powerProduction: Float
  powerReactive: Float
  powerProductionReactive: Float
  minPowerProduction: Float
  maxPowerProduction: Float
  lastMeterProduction: Float
  powerFactor: Float
  voltagePhase1: Float
  voltagePhase2: Float
  voltagePhase3: Float
  currentL1: Float
  currentL2: Float
  currentL3: Float
  signalStrength: Int
}

type RootSubscription { liveMeasurement(homeId: ID!): LiveMeasurement }
"""

MAX_PAGE = 744
"""Nodes per page at most; Tibber's SDKs never ask for more."""


def encode_cursor(when: datetime) -> str:
    """Tibber's cursors are base64 of the node's start time."""
    return base64.b64encode(when.isoformat().encode()).decode()


def decode_cursor(cursor: str) -> datetime:
    """Inverse of `encode_cursor`; a GraphQL error for anything else."""
    try:
        return datetime.fromisoformat(base64.b64decode(cursor, validate=True).decode())
    except ValueError as err:
        raise GraphQLError(f"invalid cursor {cursor!r}") from err


class HomeResolver:
    """Resolves a `Home` from a `HomeSpec` (graphql-core calls its methods)."""

    def __init__(self, sim: TibberSimulator, spec: house.HomeSpec) -> None:
        self._sim = sim
        self.spec = spec
        self.id = spec.id
        self.timeZone = spec.time_zone
        self.appNickname = spec.nickname
        self.address = {
            "address1": spec.address1,
            "postalCode": spec.postal_code,
            "city": spec.city,
            "country": "SE",
        }
        self.features = {"realTimeConsumptionEnabled": spec.real_time}
        self.currentSubscription = {"id": f"sub-{spec.id[:8]}", "status": "running"}

    def consumption(self, _info: Any, **args: Any) -> dict[str, Any]:
        return self._connection("consumption", **args)

    def production(self, _info: Any, **args: Any) -> dict[str, Any]:
        return self._connection("production", **args)

    def _connection(
        self,
        kind: str,
        *,
        resolution: str,
        last: int | None = None,
        before: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        if resolution != "HOURLY":
            raise GraphQLError(
                f"the simulator serves HOURLY history only, not {resolution}"
            )
        end = house.local_hour_start(
            self.spec, self._sim.now() - self._sim.history_delay
        )
        if before is not None:
            end = min(end, decode_cursor(before))
        count = min(last if last is not None else MAX_PAGE, MAX_PAGE)
        start = max(end - timedelta(hours=count), self._sim.history_start)
        nodes = house.history(self._sim.seed, self.spec, kind, start, end)
        if kind == "consumption":
            for node in nodes:
                start_of = datetime.fromisoformat(str(node["from"]))
                extra = self._sim.corrections.get((self.spec.id, start_of), 0.0)
                if extra:
                    node["consumption"] = float(node["consumption"]) + extra  # type: ignore[arg-type]
                    node["cost"] = float(node["consumption"]) * float(node["unitPrice"])  # type: ignore[arg-type]
        first = datetime.fromisoformat(str(nodes[0]["from"])) if nodes else end
        return {
            "pageInfo": {
                "hasPreviousPage": first - timedelta(hours=1)
                >= self._sim.history_start,
                "startCursor": encode_cursor(first) if nodes else None,
                "endCursor": encode_cursor(end) if nodes else None,
                "hasNextPage": False,
                "count": len(nodes),
                "currency": self.spec.currency,
            },
            "nodes": nodes,
        }


def build(sim: TibberSimulator) -> GraphQLSchema:
    """The executable schema bound to one simulator's state."""
    schema = build_schema(SDL)
    subscription = schema.subscription_type
    assert subscription is not None
    field = subscription.fields["liveMeasurement"]
    field.subscribe = _subscriber(sim)
    field.resolve = lambda event, _info, **_args: event
    return schema


def _subscriber(
    sim: TibberSimulator,
) -> Callable[..., AsyncIterator[dict[str, object]]]:
    def subscribe(
        _root: Any, _info: Any, homeId: str
    ) -> AsyncIterator[dict[str, object]]:
        spec = sim.home(homeId)
        if spec is None:
            raise GraphQLError(
                f"home {homeId} not found", extensions={"code": "NOT_FOUND"}
            )
        if not spec.real_time:
            raise GraphQLError(
                f"home {homeId} has no real-time meter (Pulse or Watty)",
                extensions={"code": "NO_REAL_TIME_DEVICE"},
            )
        return sim.measurements(spec)

    return subscribe
