"""Async client of Tibber's GraphQL API. Imports nothing from Home Assistant."""

from .client import DEFAULT_API_URL, TibberClient
from .errors import (
    InvalidTokenError,
    RateLimitedError,
    TibberConnectionError,
    TibberError,
    TibberQueryError,
    TibberServerError,
    TooManyConnectionsError,
)
from .models import (
    Account,
    Address,
    EnergyHour,
    Home,
    HourColumns,
    LiveMeasurement,
    LiveSnapshot,
)

__all__ = [
    "DEFAULT_API_URL",
    "Account",
    "Address",
    "EnergyHour",
    "Home",
    "HourColumns",
    "InvalidTokenError",
    "LiveMeasurement",
    "LiveSnapshot",
    "RateLimitedError",
    "TibberClient",
    "TibberConnectionError",
    "TibberError",
    "TibberQueryError",
    "TibberServerError",
    "TooManyConnectionsError",
]
