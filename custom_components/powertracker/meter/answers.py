"""What each of Tibber's answers means, for the poll and every reader of its history.

One policy, whoever asked (the poll's live snapshot, the last hour of a home
without a real-time meter, the midnight bridges of a running total, the hourly
statistics' import):

- **rejected token** (`InvalidTokenError`): reauthentication. A history read
  raises it on; the poll turns it into `ConfigEntryAuthFailed`, the import
  starts the reauth flow itself.
- **rate limit** (`RateLimitedError`, HTTP 429/428): the round ends. Nothing
  more is asked before Tibber's `Retry-After` (the client sends nothing
  meanwhile); every reader keeps what it knew. The poll fails only when its
  live snapshot was refused, not for a history read.
- **too many connections** (close 4429): only the live snapshot meets it: a
  repair issue and a failed poll.
- **server error** (`TibberServerError`, `TibberConnectionError`: 5xx, a page
  that is not GraphQL, no answer): this read is given up and asked again next
  round; the other homes are still asked.
- **unknown home** (`TibberQueryError`: GraphQL errors, such as a home that
  left the account): likewise, for that home only.

Pure Python: no Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum

from ..tibber import (
    InvalidTokenError,
    RateLimitedError,
    TibberError,
    TibberQueryError,
    TooManyConnectionsError,
)


class Answer(StrEnum):
    """What an error from Tibber is, for the policy."""

    REJECTED_TOKEN = "rejected_token"  # noqa: S105 - a name, not a secret
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    SERVER_ERROR = "server_error"
    UNKNOWN_HOME = "unknown_home"


def answer_of(err: TibberError) -> Answer:
    """Which of the policy's answers `err` is."""
    if isinstance(err, InvalidTokenError):
        return Answer.REJECTED_TOKEN
    if isinstance(err, TooManyConnectionsError):
        return Answer.TOO_MANY_CONNECTIONS
    if isinstance(err, RateLimitedError):
        return Answer.RATE_LIMITED
    if isinstance(err, TibberQueryError):
        return Answer.UNKNOWN_HOME
    return Answer.SERVER_ERROR


class HistoryRound:
    """One round of reads of Tibber's history (a poll's, an hour's import)."""

    def __init__(self) -> None:
        """Nothing asked yet."""
        self.rate_limit: RateLimitedError | None = None
        """The rate limit that ended the round, if one did."""

    async def ask[T](self, question: Callable[[], Awaitable[T]]) -> T | TibberError:
        """Tibber's answer, or the error that leaves this read for the next round.

        A rejected token is raised on; after a rate limit nothing more is asked
        (the rate limit is the answer to every later question of the round).
        """
        if self.rate_limit is not None:
            return self.rate_limit
        try:
            return await question()
        except TibberError as err:
            if answer_of(err) is Answer.REJECTED_TOKEN:
                raise
            if isinstance(err, RateLimitedError):
                self.rate_limit = err
            return err
