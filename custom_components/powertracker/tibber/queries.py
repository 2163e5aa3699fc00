"""The GraphQL documents the client sends (Tibber API v1-beta)."""

from __future__ import annotations

from .models import LiveMeasurement

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

CONSUMPTION_HISTORY = """
query Consumption($homeId: ID!, $last: Int!, $before: String) {
  viewer {
    home(id: $homeId) {
      consumption(resolution: HOURLY, last: $last, before: $before) {
        pageInfo { hasPreviousPage startCursor }
        nodes { from to consumption cost unitPrice currency }
      }
    }
  }
}
"""

PRODUCTION_HISTORY = """
query Production($homeId: ID!, $last: Int!, $before: String) {
  viewer {
    home(id: $homeId) {
      production(resolution: HOURLY, last: $last, before: $before) {
        pageInfo { hasPreviousPage startCursor }
        nodes { from to production profit unitPrice currency }
      }
    }
  }
}
"""

LIVE_MEASUREMENT = (
    "subscription LiveMeasurement($homeId: ID!) {\n"
    "  liveMeasurement(homeId: $homeId) {\n    "
    + "\n    ".join(LiveMeasurement.graphql_fields())
    + "\n  }\n}\n"
)
