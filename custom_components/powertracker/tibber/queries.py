"""The GraphQL documents the client sends (Tibber API v1-beta)."""

from __future__ import annotations

from functools import cache

from gql import GraphQLRequest

from .models import LiveMeasurement


@cache
def request(document: str) -> GraphQLRequest:
    """`document` parsed once: gql parses a string again at every request."""
    return GraphQLRequest(document)


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

LIVE_MEASUREMENT = (
    "subscription LiveMeasurement($homeId: ID!) {\n"
    "  liveMeasurement(homeId: $homeId) {\n    "
    + "\n    ".join(LiveMeasurement.graphql_fields())
    + "\n  }\n}\n"
)
