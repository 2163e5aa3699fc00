"""Samples waiting for a sink: ordered, deduplicated, bounded. No HA imports.

The outbox only keeps the books; its owner persists `as_json()` before it
sends anything and calls `confirm()` after the sink has stored a batch. A
sample leaves the outbox in one of three ways, each counted:

- `sent`: the sink stored it (or already had it: writes are idempotent);
- `refused`: the sink refused it for good (`WriteResult.dropped`);
- `overflowed`: it was older than `max_age` behind its home's newest sample
  while the sink was down (the oldest go first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from .models import Sample

MAX_AGE = timedelta(days=7)
"""How far behind its home's newest sample a queued sample may fall."""


def _key(sample: Sample) -> tuple[datetime, str]:
    return sample.time, sample.home_id


@dataclass
class Outbox:
    """Samples in time order (then by home), at most one per home and time."""

    max_age: timedelta = MAX_AGE
    samples: list[Sample] = field(default_factory=list)
    sent: int = 0
    refused: int = 0
    overflowed: int = 0

    def __len__(self) -> int:
        """Samples waiting."""
        return len(self.samples)

    def add(self, new: Iterable[Sample]) -> int:
        """Queue samples not queued yet; return how many old ones overflowed."""
        queued = {_key(sample) for sample in self.samples}
        fresh: dict[tuple[datetime, str], Sample] = {}
        for sample in new:
            if _key(sample) not in queued:
                fresh.setdefault(_key(sample), sample)
        if not fresh:
            return 0
        merged = sorted([*self.samples, *fresh.values()], key=_key)
        newest: dict[str, datetime] = {}
        for sample in merged:
            newest[sample.home_id] = max(
                newest.get(sample.home_id, sample.time), sample.time
            )
        self.samples = [
            sample
            for sample in merged
            if newest[sample.home_id] - sample.time <= self.max_age
        ]
        overflowed = len(merged) - len(self.samples)
        self.overflowed += overflowed
        return overflowed

    def batch(self, size: int) -> list[Sample]:
        """The oldest `size` samples (they stay queued until confirmed)."""
        return self.samples[:size]

    def confirm(self, batch: list[Sample], refused: int = 0) -> None:
        """The sink took `batch`, refusing `refused` of its samples for good."""
        done = {_key(sample) for sample in batch}
        before = len(self.samples)
        self.samples = [sample for sample in self.samples if _key(sample) not in done]
        removed = before - len(self.samples)  # overflow may have taken some meanwhile
        refused = min(refused, removed)
        self.refused += refused
        self.sent += removed - refused

    def as_json(self) -> dict[str, Any]:
        """What the owner persists."""
        return {
            "samples": [sample.as_json() for sample in self.samples],
            "sent": self.sent,
            "refused": self.refused,
            "overflowed": self.overflowed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], max_age: timedelta = MAX_AGE) -> Self:
        """The inverse of `as_json` (an empty outbox for `{}`)."""
        return cls(
            max_age=max_age,
            samples=[Sample.from_json(item) for item in data.get("samples", ())],
            sent=data.get("sent", 0),
            refused=data.get("refused", 0),
            overflowed=data.get("overflowed", 0),
        )
