"""The GraphQL documents the client sends (Tibber API v1-beta)."""

from __future__ import annotations

from functools import cache
from typing import Any

from gql import GraphQLRequest
from graphql import DocumentNode, parse, print_ast

from .models import LiveMeasurement


@cache
def _parsed(document: str) -> tuple[DocumentNode, str]:
    """`document` parsed, and printed back to the text gql would send, once."""
    node = parse(document)
    return node, print_ast(node)


class Request(GraphQLRequest):
    """One of these documents with its variables, parsed and printed once.

    gql parses a string at every GraphQLRequest and prints the parsed document
    back to text at every send (its `payload`): for the live subscriptions that
    was the busiest function of a poll. The text sent is the same. Neither
    operationName nor extensions: these documents hold one operation each.
    """

    def __init__(self, document: str, variables: dict[str, Any] | None = None) -> None:
        node, self._query = _parsed(document)
        super().__init__(node, variable_values=variables)

    @property
    def payload(self) -> dict[str, Any]:
        """What the transport sends: the printed document and the variables."""
        if not self.variable_values:
            return {"query": self._query}
        return {"query": self._query, "variables": self.variable_values}


ACCOUNT = """
query Account {
  viewer {
    userId
    name
    login
    websocketSubscriptionUrl
    homes {
      id
      appNickname
      timeZone
      address { address1 postalCode city country }
      features { realTimeConsumptionEnabled }
      currentSubscription { status }
    }
  }
}
"""

WEBSOCKET_URL = "query WebsocketUrl { viewer { websocketSubscriptionUrl } }"


def _history(kind: str, money: str) -> str:
    """Hourly `consumption` (with cost) or `production` (with profit), paged back."""
    return f"""
query {kind.title()}($homeId: ID!, $last: Int!, $before: String) {{
  viewer {{
    home(id: $homeId) {{
      {kind}(resolution: HOURLY, last: $last, before: $before) {{
        pageInfo {{ hasPreviousPage startCursor }}
        nodes {{ from to {kind} {money} unitPrice currency }}
      }}
    }}
  }}
}}
"""


CONSUMPTION_HISTORY = _history("consumption", "cost")
PRODUCTION_HISTORY = _history("production", "profit")
HISTORY = {"consumption": CONSUMPTION_HISTORY, "production": PRODUCTION_HISTORY}
"""The history document of each kind."""

LIVE_MEASUREMENT = (
    "subscription LiveMeasurement($homeId: ID!) {\n"
    "  liveMeasurement(homeId: $homeId) {\n    "
    + "\n    ".join(LiveMeasurement.graphql_fields())
    + "\n  }\n}\n"
)
