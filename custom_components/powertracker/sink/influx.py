"""InfluxDB sink: Timestream for InfluxDB, or any InfluxDB 1.x, 2.x or 3.x.

Free of Home Assistant: it needs only `aiohttp` and `.models`.

Records
    One line of line protocol per `Sample` (`line_protocol.line`). The same
    sample written twice lands on the same point (measurement, tags and time
    are equal), so writes are idempotent and a retried batch adds nothing.

APIs (`api`)
    v1  InfluxDB 1.x (also 2.x's 1.x compatibility API):
        ``POST {url}/write?db=<database>&precision=s``. Credentials: `token`
        (sent as ``Authorization: Token <token>``: InfluxDB 1.8+ with
        ``username:password`` as the token, or 2.x compatibility tokens), or
        `username`/`password` (HTTP basic auth, so no secret is ever in a URL),
        or nothing for a server without authentication.
    v2  InfluxDB 2.x, Timestream for InfluxDB:
        ``POST {url}/api/v2/write?org=<org>&bucket=<database>&precision=s``
        with ``Authorization: Token <token>``; `org` and `token` are required.
    v3  InfluxDB 3 Core/Enterprise:
        ``POST {url}/api/v3/write_lp?db=<database>&precision=second`` with
        ``Authorization: Bearer <token>`` (no header without a token).

    `database` names the database (v1, v3) or the bucket (v2).

Failures (never with a token or password in the message)
    401 -> `SinkAuthError`; 403 -> `SinkPermissionError`; 404 naming a
    database, bucket or organization -> `SinkNotFoundError`; 408, 429, 5xx,
    connection errors, timeouts and TLS errors -> `SinkUnreachableError`
    (retry later). 400/422 about the data (partial write, field type conflict,
    unparsable line) are not errors: those samples can never succeed, so
    `write` returns them as `WriteResult.dropped` (the count InfluxDB reports:
    1.x/2.x ``dropped=N`` plus 1.x's unparsable lines, 3.x's list of refused
    lines; the whole request when it reports none) and the rest as written.
    413 splits the request in halves until it fits (a single line that is still
    too large is dropped). Any other refusal -> `InfluxRequestError`, a
    `SinkError` that retrying cannot fix (wrong URL, API version or settings).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
from yarl import URL

from .line_protocol import DEFAULT_MEASUREMENT, escape_measurement, line
from .models import (
    Sample,
    SettingsError,
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
    WriteResult,
)
from .settings import INFLUX_APIS, ApiVersion

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds for one HTTP request, connection included."""
MAX_LINES_PER_REQUEST: Final = 5000
"""Lines per write request; larger batches go in several requests."""
ERROR_TEXT_LIMIT: Final = 200
"""Characters of InfluxDB's error text kept in an exception message."""

"""What may not follow a literal backslash (the parsers would read an escape)."""
_TEXT_CONTENT_TYPE: Final = "text/plain; charset=utf-8"
_REDACTED: Final = "***"

_NOT_FOUND = re.compile(r"\b(database|bucket|organization|org|namespace)\b", re.I)
_DATA_ERROR = re.compile(
    r"partial write|unable to parse|parsing failed|pars(e|ing) error|conflict"
    r"|dropped=\d|beyond retention|invalid (field|tag|line|number|boolean)",
    re.I,
)
_DROPPED = re.compile(r"dropped=(\d+)")


class InfluxRequestError(SinkError):
    """InfluxDB refused a request in a way retrying cannot fix.

    A 4xx other than the mapped ones: usually a wrong URL or API version (a
    404 that names no database), or settings InfluxDB rejects (a bad name).
    """

    retryable = False


@dataclass(frozen=True, slots=True)
class _Reply:
    """An HTTP answer: status, body text and InfluxDB's error text, if any."""

    status: int
    text: str
    error: str
    """InfluxDB's error message (JSON `error`/`message` or X-Influxdb-Error)."""
    refused_lines: int | None = None
    """3.x: how many lines its partial-write answer lists."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _parse_reply(status: int, body: bytes, headers: Mapping[str, str]) -> _Reply:
    text = body.decode("utf-8", errors="replace")
    error = ""
    refused: int | None = None
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message"):
            if isinstance(data.get(key), str):
                error = data[key]
                break
        details = data.get("data")
        if isinstance(details, list):
            refused = len(details)
            first = details[0] if details else None
            if isinstance(first, dict) and isinstance(first.get("error_message"), str):
                error = f"{error}: {first['error_message']}"
    if not error:
        error = headers.get("X-Influxdb-Error", "") or (
            "" if 200 <= status < 300 else text.strip()
        )
    return _Reply(status, text, error, refused)


def _dropped(reply: _Reply, total: int) -> int:
    """How many of `total` lines InfluxDB says it refused in a 400/422 answer."""
    if reply.refused_lines is not None:
        return min(total, reply.refused_lines)
    if "partial write" in reply.error.lower():
        match = _DROPPED.search(reply.error)
        unparsable = reply.error.count("unable to parse")
        if match or unparsable:
            return min(total, (int(match[1]) if match else 0) + unparsable)
    return total


def _check_settings(
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
    try:
        parsed = URL(url)
        valid = parsed.scheme in ("http", "https") and bool(parsed.host)
        parsed.port  # noqa: B018 - an out-of-range port raises here
    except ValueError:
        valid = False
    if not valid:
        raise SettingsError(
            "url_invalid",
            "url must be an http:// or https:// URL with a host",
            "url",
        )
    if parsed.user is not None or parsed.password is not None:
        raise SettingsError(
            "url_credentials",
            "url must not contain credentials; use token/password",
            "url",
        )
    if parsed.query_string or parsed.fragment:
        raise SettingsError("url_query", "url must not have a query or fragment", "url")
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


class InfluxSink:
    """Writes samples to InfluxDB over HTTP on a borrowed `aiohttp` session.

    `validate()` checks, in order:
        v1  ``GET /ping`` answers; ``POST /query`` with ``SHOW DATABASES``
            accepts the credentials and lists `database` (else
            `SinkNotFoundError`: it is missing, or the user has no privilege on
            it); an empty write to it is allowed (else `SinkPermissionError`:
            a read-only user).
        v2  ``GET /api/v2/buckets?org=&name=`` accepts the token and finds the
            organization; an empty write to the bucket is allowed (404 ->
            `SinkNotFoundError`, 403 -> `SinkPermissionError`). A token that may
            write but not list buckets passes.
        v3  ``GET /api/v3/configure/database?format=json`` accepts the token and
            lists `database` (InfluxDB 3 would create a missing database on the
            first write; requiring it catches typos).

    The session belongs to the caller: `close()` leaves it open.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        api: ApiVersion,
        database: str,
        token: str | None = None,
        org: str | None = None,
        username: str | None = None,
        password: str | None = None,
        verify_ssl: bool = True,
        measurement: str = DEFAULT_MEASUREMENT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Check the settings (ValueError, without secrets, if they cannot work).

        `url` is the server's base URL (a path prefix is kept, for a reverse
        proxy), without credentials, query or fragment.
        """
        _check_settings(
            api=api,
            url=url,
            database=database,
            org=org,
            token=token,
            username=username,
            password=password,
            measurement=measurement,
            timeout=timeout,
        )
        self.url = url.rstrip("/")
        """The server's base URL."""
        self.api: ApiVersion = api
        self.database = database
        """The database (v1, v3) or bucket (v2) written to."""
        self.measurement = measurement
        self._session = session
        self._org = org
        self._token = token or None
        self._username = username or None
        self._password = password or None
        self._verify_ssl = verify_ssl
        self._timeout = timeout
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers: dict[str, str] = {}
        basic = ""
        if self._token:
            scheme = "Bearer" if api == "v3" else "Token"
            self._headers["Authorization"] = f"{scheme} {self._token}"
        elif self._username:
            # RFC 7617, built here: aiohttp 3.14 deprecates BasicAuth and auth=,
            # and its replacement encode_basic_auth() is missing from 3.11.
            pair = f"{self._username}:{password or ''}".encode()
            basic = base64.b64encode(pair).decode("ascii")
            self._headers["Authorization"] = f"Basic {basic}"
        self._secrets = tuple(s for s in (token, password, basic) if s)
        # The write API, timestamps in seconds.
        self._write_path, self._write_params = {
            "v1": ("/write", {"db": database, "precision": "s"}),
            "v2": (
                "/api/v2/write",
                {"org": org or "", "bucket": database, "precision": "s"},
            ),
            "v3": ("/api/v3/write_lp", {"db": database, "precision": "second"}),
        }[api]

    def __repr__(self) -> str:
        settings = {
            "url": self.url,
            "api": self.api,
            "database": self.database,
            "org": self._org,
            "username": self._username,
            "token": self._token and _REDACTED,
            "password": self._password and _REDACTED,
            "measurement": self.measurement,
            "verify_ssl": self._verify_ssl,
        }
        shown = ", ".join(f"{k}={v!r}" for k, v in settings.items() if v is not None)
        return f"{type(self).__name__}({shown})"

    async def validate(self) -> None:
        """Check that the server answers and `database` may be written to.

        Raises the `SinkError` that says what is wrong (see the class doc).
        """
        validators = {
            "v1": self._validate_v1,
            "v2": self._validate_v2,
            "v3": self._validate_v3,
        }
        await validators[self.api]()

    async def write(self, samples: list[Sample]) -> WriteResult:
        """Write `samples`, at most `MAX_LINES_PER_REQUEST` lines a request.

        Samples `line` cannot write (an unrepresentable home id, no finite
        value) and those InfluxDB refuses for good count as dropped. A failure
        after some requests succeeded raises: a retry rewrites the same points.
        """
        lines: list[str] = []
        for sample in samples:
            try:
                lines.append(line(sample, self.measurement))
            except (ValueError, TypeError) as err:
                _LOGGER.warning("Not writing a sample to InfluxDB: %s", err)
        result = WriteResult(written=0, dropped=len(samples) - len(lines))
        for start in range(0, len(lines), MAX_LINES_PER_REQUEST):
            result += await self._write_lines(
                lines[start : start + MAX_LINES_PER_REQUEST]
            )
        return result

    async def close(self) -> None:
        """Nothing to release: the session belongs to the caller."""

    async def _post_lines(self, lines: list[str]) -> _Reply:
        return await self._request(
            "POST",
            self._write_path,
            params=self._write_params,
            data="\n".join(lines).encode(),
            headers={"Content-Type": _TEXT_CONTENT_TYPE},
        )

    async def _write_lines(self, lines: list[str]) -> WriteResult:
        reply = await self._post_lines(lines)
        if reply.ok:
            return WriteResult(written=len(lines))
        if reply.status == 413:
            if len(lines) == 1:
                _LOGGER.warning(
                    "InfluxDB refused a line as too large (HTTP 413): dropped"
                )
                return WriteResult(written=0, dropped=1)
            half = len(lines) // 2
            first = await self._write_lines(lines[:half])
            return first + await self._write_lines(lines[half:])
        if reply.status in (400, 422) and _DATA_ERROR.search(reply.error):
            dropped = _dropped(reply, len(lines))
            _LOGGER.warning(
                "InfluxDB refused %d of %d samples for good (HTTP %d: %s)",
                dropped,
                len(lines),
                reply.status,
                self._short(reply.error),
            )
            return WriteResult(written=len(lines) - dropped, dropped=dropped)
        raise self._error(reply, "write")

    async def _probe_write(self) -> None:
        """An empty write: passes the database, auth and permission checks."""
        reply = await self._post_lines([])
        # 400: InfluxDB 2.x checks bucket and permission, then wants points.
        if not reply.ok and reply.status != 400:
            raise self._error(reply, "write")

    async def _validate_v1(self) -> None:
        await self._checked("GET", "/ping", "ping")
        reply = await self._checked(
            "POST", "/query", "query", data={"q": "SHOW DATABASES"}
        )
        results = self._json(reply, "SHOW DATABASES answer", "results")
        names: set[str] = set()
        for result in results if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            if isinstance(error := result.get("error"), str):
                refusal = (
                    SinkPermissionError
                    if "authoriz" in error.lower()
                    else InfluxRequestError
                )
                raise refusal(f"InfluxDB: {self._short(error)}")
            for series in result.get("series") or []:
                rows = series.get("values") if isinstance(series, dict) else None
                for row in rows if isinstance(rows, list) else []:
                    if isinstance(row, list) and row:
                        names.add(str(row[0]))
        if self.database not in names:
            raise SinkNotFoundError(
                self._redact(
                    f"InfluxDB at {self.url} has no database {self.database!r} "
                    "that these credentials may use"
                )
            )
        await self._probe_write()

    async def _validate_v2(self) -> None:
        reply = await self._checked(
            "GET",
            "/api/v2/buckets",
            "bucket lookup",
            params={"org": self._org or "", "name": self.database},
            headers={"Accept": "application/json"},
        )
        buckets = self._json(
            reply, "bucket list (is the API version right?)", "buckets"
        )
        if not isinstance(buckets, list) or not any(
            isinstance(b, dict) and b.get("name") == self.database for b in buckets
        ):
            _LOGGER.debug("Bucket %r not listed; trying an empty write", self.database)
        await self._probe_write()

    async def _validate_v3(self) -> None:
        reply = await self._checked(
            "GET",
            "/api/v3/configure/database",
            "database list",
            params={"format": "json"},
            headers={"Accept": "application/json"},
        )
        rows = self._json(reply, "database list (is the API version right?)", kind=list)
        names = {
            value
            for row in rows
            if isinstance(row, dict)
            for value in row.values()
            if isinstance(value, str)
        }
        if self.database not in names:
            raise SinkNotFoundError(
                self._redact(
                    f"InfluxDB at {self.url} has no database {self.database!r}"
                )
            )

    def _json(
        self, reply: _Reply, what: str, key: str | None = None, kind: type = object
    ) -> Any:
        """`reply`'s JSON (its `key`) if it is a `kind`; else InfluxRequestError."""
        try:
            data = json.loads(reply.text)
            data = data if key is None else data[key]
            if isinstance(data, kind):
                return data
        except (ValueError, KeyError, TypeError):
            pass
        raise InfluxRequestError(f"InfluxDB at {self.url} sent an unexpected {what}")

    async def _checked(
        self, method: str, path: str, action: str, **kwargs: Any
    ) -> _Reply:
        """`_request`, raising the `SinkError` of any answer but a 2xx."""
        reply = await self._request(method, path, **kwargs)
        if not reply.ok:
            raise self._error(reply, action)
        return reply

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Reply:
        try:
            async with self._session.request(
                method,
                f"{self.url}{path}",
                params=params,
                data=data,
                headers={**self._headers, **(headers or {})},
                ssl=self._verify_ssl,
                timeout=self._client_timeout,
            ) as response:
                body = await response.read()
                reply = _parse_reply(response.status, body, response.headers)
        except TimeoutError as err:
            raise SinkUnreachableError(
                f"InfluxDB at {self.url} did not answer within {self._timeout:g} s"
            ) from err
        except (aiohttp.ClientError, OSError) as err:  # ssl.SSLError is an OSError
            detail = str(err) or type(err).__name__
            raise SinkUnreachableError(
                self._redact(
                    f"Cannot reach InfluxDB at {self.url}: {self._short(detail)}"
                )
            ) from err
        _LOGGER.debug(
            "InfluxDB %s %s: HTTP %d%s",
            method,
            path,
            reply.status,
            f" ({self._short(reply.error)})" if reply.error else "",
        )
        return reply

    def _error(self, reply: _Reply, action: str) -> SinkError:
        """The `SinkError` for a refusal of `action` (no secrets in it)."""
        status = reply.status
        said = self._short(reply.error) or "no details"
        message = self._redact(f"InfluxDB {action} failed (HTTP {status}: {said})")
        if status == 401:
            return SinkAuthError(message)
        if status == 403:
            return SinkPermissionError(message)
        if status == 404 and _NOT_FOUND.search(reply.error):
            return SinkNotFoundError(message)
        if status == 404:
            return InfluxRequestError(
                f"{message}; is the URL or the API version ({self.api}) wrong?"
            )
        if status in (408, 429) or status >= 500:
            return SinkUnreachableError(message)
        if 400 <= status < 500:
            return InfluxRequestError(message)
        return SinkError(message)

    def _short(self, text: str) -> str:
        """`text` on one line, at most `ERROR_TEXT_LIMIT` characters, redacted."""
        text = " ".join(self._redact(text).split())
        if len(text) > ERROR_TEXT_LIMIT:
            return f"{text[: ERROR_TEXT_LIMIT - 1]}…"
        return text

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text
