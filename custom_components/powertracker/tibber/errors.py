"""Typed errors of the Tibber client.

Messages never contain the access token: they are built here from status codes
and Tibber's own error texts, so they are safe to log and to show.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class TibberError(Exception):
    """Base class of every error the client raises."""


class InvalidTokenError(TibberError):
    """Tibber rejected the access token (UNAUTHENTICATED, HTTP 401/403, close 4403)."""


class RateLimitedError(TibberError):
    """Tibber asks us to slow down (HTTP 429/428); retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyConnectionsError(RateLimitedError):
    """Another client holds the websocket connections of this token (4429)."""


class TibberConnectionError(TibberError):
    """Tibber could not be reached, or did not answer in time."""


class TibberServerError(TibberError):
    """Tibber failed on its side: HTTP 5xx or a reply that is not GraphQL JSON."""


class TibberQueryError(TibberError):
    """Tibber answered a valid request with GraphQL errors (e.g. unknown home)."""


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def from_graphql_errors(errors: list[Any] | None) -> TibberError:
    """Map the `errors` of a GraphQL answer to the matching client error."""
    errors = [error for error in errors or () if isinstance(error, dict)]
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    message = "; ".join(str(error.get("message", "")) for error in errors)
    if "UNAUTHENTICATED" in codes:
        return InvalidTokenError(f"Tibber rejected the access token: {message}")
    return TibberQueryError(f"Tibber answered with errors: {message or 'unknown'}")
