"""What the sinks' settings are: defaults, ranges and secrets, in one place.

The options flow's forms, the factory (`sinks.py`) and the sinks themselves
read these. Pure, and free of botocore, so the forms can show the Timestream
defaults without importing it.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

ApiVersion = Literal["v1", "v2", "v3"]
INFLUX_APIS: Final[tuple[ApiVersion, ...]] = get_args(ApiVersion)
"""InfluxDB's write APIs: 1.x, 2.x (and Timestream for InfluxDB), 3."""

SECRETS: Final = frozenset({"token", "password", "secret_access_key", "access_key_id"})
"""Settings that never reach logs, forms or diagnostics."""

DEFAULT_AWS_REGION: Final = "eu-west-1"
DEFAULT_MEMORY_RETENTION_HOURS: Final = 48
DEFAULT_MAGNETIC_RETENTION_DAYS: Final = 730
"""The original system's retention: 48 hours in memory, two years on magnetic."""
MEMORY_RETENTION_HOURS_RANGE: Final = range(1, 8766 + 1)
MAGNETIC_RETENTION_DAYS_RANGE: Final = range(1, 73000 + 1)
"""What Timestream accepts (one year in memory, 200 years on magnetic)."""
