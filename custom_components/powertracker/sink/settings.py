"""What the sinks' settings are, and which values can work, in one place.

Defaults, ranges, secrets and the checks of a whole set of settings. The options
flow's forms, the factory (`record/stores.py`) and the sinks themselves read these.
Pure, and free of botocore, so the forms can show the Timestream defaults
without importing it. A check raises `SettingsError`, which names the field at
fault and the translation of its sentence, and holds no secret.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from yarl import URL

from .line_protocol import escape_measurement
from .models import SettingsError

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


def check_key_pair(access_key_id: str | None, secret_access_key: str | None) -> None:
    """Both halves of an AWS key pair, or neither (the default credential chain)."""
    if (access_key_id is None) != (secret_access_key is None):
        raise SettingsError(
            "key_pair",
            "give both access_key_id and secret_access_key, or neither",
            "access_key_id" if access_key_id is None else "secret_access_key",
        )


def check_url(name: str, url: str) -> None:
    """`url` (the setting `name`) is a plain http(s) URL of a server.

    The InfluxDB URL and the Timestream endpoint: a scheme and a host, a valid
    port, no credentials, no query or fragment.
    """
    try:
        parsed = URL(url)
        valid = parsed.scheme in ("http", "https") and bool(parsed.host)
        parsed.port  # noqa: B018 - an out-of-range port raises here
    except ValueError:
        valid = False
    if not valid:
        raise SettingsError(
            "url_invalid",
            f"{name} must be an http:// or https:// URL with a host",
            name,
        )
    if parsed.user is not None or parsed.password is not None:
        raise SettingsError(
            "url_credentials", f"{name} must not contain credentials", name
        )
    if parsed.query_string or parsed.fragment:
        raise SettingsError(
            "url_query", f"{name} must not have a query or fragment", name
        )


def whole_number(name: str, value: float, valid: range) -> int:
    """`value` as an int within `valid` (UI number fields give floats such as 48.0)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or number != value or number not in valid:
        raise SettingsError(
            "retention_range",
            f"{name} must be a whole number within {valid[0]}..{valid[-1]}",
            name,
            min=str(valid[0]),
            max=str(valid[-1]),
        )
    return number


def check_influx(
    *,
    api: str,
    url: str,
    database: str,
    org: str | None,
    token: str | None,
    username: str | None,
    password: str | None,
    measurement: str,
    timeout: float,
) -> None:
    """Raise `SettingsError` (naming the field, no secret) for settings that
    cannot work."""
    if api not in INFLUX_APIS:
        raise SettingsError(
            "api_invalid", f"api must be one of {', '.join(INFLUX_APIS)}", "api"
        )
    check_url("url", url)
    if not database:
        raise SettingsError(
            "database_required",
            "database (the bucket for v2) is required",
            "database",
        )
    try:
        escape_measurement(measurement)
    except ValueError as err:
        raise SettingsError("measurement_invalid", str(err)) from None
    if timeout <= 0:
        raise SettingsError("timeout_invalid", "timeout must be positive")
    if api == "v2" and not org:
        raise SettingsError("org_required", "the v2 API needs org", "org")
    if api == "v2" and not token:
        raise SettingsError("token_required", "the v2 API needs a token", "token")
    if api != "v1" and (username or password):
        raise SettingsError(
            "token_only",
            f"the {api} API takes a token, not username/password",
            "username",
            api=api,
        )
    if token and (username or password):
        raise SettingsError(
            "token_or_password",
            "give either token or username/password, not both",
            "token",
        )
    if password and not username:
        raise SettingsError(
            "password_needs_username", "password needs a username", "username"
        )
    if username and ":" in username:  # RFC 7617: the user-id has no colon
        raise SettingsError(
            "username_colon", "a username cannot contain ':'", "username"
        )
