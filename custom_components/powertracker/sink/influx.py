"""InfluxDB sink: Timestream for InfluxDB, or any InfluxDB 1.x, 2.x or 3.x.

Free of Home Assistant: it needs only `aiohttp` and this package.

Records
    One line of line protocol per `Sample` (`line_protocol.line`). The same
    sample written twice lands on the same point (measurement, tags and time
    are equal), so writes are idempotent and a retried batch adds nothing.

APIs (`api`; credentials and error mapping: `influx_http`)
    v1  InfluxDB 1.x (also 2.x's 1.x compatibility API):
        ``POST {url}/write?db=<database>&precision=s``. Credentials: a token
        (InfluxDB 1.8+ with ``username:password`` as the token, or 2.x
        compatibility tokens), a username and password, or nothing.
    v2  InfluxDB 2.x, Timestream for InfluxDB:
        ``POST {url}/api/v2/write?org=<org>&bucket=<database>&precision=s``;
        `org` and `token` are required.
    v3  InfluxDB 3 Core/Enterprise:
        ``POST {url}/api/v3/write_lp?db=<database>&precision=second``.

    `database` names the database (v1, v3) or the bucket (v2).

Reading back (`columns`, `oldest`: the `SampleReader` protocol)
    v1 InfluxQL (`influxql`), v2 Flux (`flux`), v3 SQL (`influx_sql`), with
    the same credentials as the writes.

Refused data
    400/422 about the data (partial write, field type conflict, unparsable
    line) are not errors: those samples can never succeed, so `write` returns
    them as `WriteResult.dropped` (the count InfluxDB reports: 1.x/2.x
    ``dropped=N`` plus 1.x's unparsable lines, 3.x's list of refused lines; the
    whole request when it reports none) and the rest as written. 413 splits the
    request in halves until it fits (a single line that is still too large is
    dropped).
"""

from __future__ import annotations

import logging
import re
from typing import Final

import aiohttp

from .flux import FluxReader
from .influx_http import REDACTED, InfluxHttp, InfluxRequestError, Reply
from .influx_sql import InfluxSqlReader
from .influxql import InfluxQLReader, statement_results
from .line_protocol import DEFAULT_MEASUREMENT, line
from .models import (
    Sample,
    SampleReader,
    SinkNotFoundError,
    WriteResult,
)
from .readback import ReadsBack
from .settings import ApiVersion, check_influx

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds for one HTTP request, connection included."""
MAX_LINES_PER_REQUEST: Final = 5000
"""Lines per write request; larger batches go in several requests."""

_TEXT_CONTENT_TYPE: Final = "text/plain; charset=utf-8"
_DATA_ERROR = re.compile(
    r"partial write|unable to parse|parsing failed|pars(e|ing) error|conflict"
    r"|dropped=\d|beyond retention|invalid (field|tag|line|number|boolean)",
    re.I,
)
_DROPPED = re.compile(r"dropped=(\d+)")

__all__ = ["MAX_LINES_PER_REQUEST", "InfluxRequestError", "InfluxSink"]


def _dropped(reply: Reply, total: int) -> int:
    """How many of `total` lines InfluxDB says it refused in a 400/422 answer."""
    if reply.refused_lines is not None:
        return min(total, reply.refused_lines)
    if "partial write" in reply.error.lower():
        match = _DROPPED.search(reply.error)
        unparsable = reply.error.count("unable to parse")
        if match or unparsable:
            return min(total, (int(match[1]) if match else 0) + unparsable)
    return total


class InfluxSink(ReadsBack[SampleReader]):
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
        """Check the settings (`SettingsError`, without secrets, if they cannot work).

        `url` is the server's base URL (a path prefix is kept, for a reverse
        proxy), without credentials, query or fragment.
        """
        check_influx(
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
        self._http = InfluxHttp(
            session,
            url=url,
            api=api,
            token=token or None,
            username=username or None,
            password=password or None,
            verify_ssl=verify_ssl,
            timeout=timeout,
        )
        self.url = self._http.url
        """The server's base URL."""
        self.api: ApiVersion = api
        self.database = database
        """The database (v1, v3) or bucket (v2) written to."""
        self.measurement = measurement
        shown = {
            "url": self.url,
            "api": api,
            "database": database,
            "org": org,
            "username": username or None,
            "token": token and REDACTED,
            "password": password and REDACTED,
            "measurement": measurement,
            "verify_ssl": verify_ssl,
        }
        self._shown = ", ".join(f"{k}={v!r}" for k, v in shown.items() if v is not None)
        # The write API, timestamps in seconds.
        self._reader = self._sample_reader(org or "")
        self._write_path, self._write_params = {
            "v1": ("/write", {"db": database, "precision": "s"}),
            "v2": (
                "/api/v2/write",
                {"org": org or "", "bucket": database, "precision": "s"},
            ),
            "v3": ("/api/v3/write_lp", {"db": database, "precision": "second"}),
        }[api]

    def __repr__(self) -> str:
        """The settings, with the secrets masked."""
        return f"{type(self).__name__}({self._shown})"

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

    def _sample_reader(self, org: str) -> SampleReader:
        """The reader of the measurement in the API's query language."""
        http, database, measurement = self._http, self.database, self.measurement
        if self.api == "v1":
            return InfluxQLReader(http, database=database, measurement=measurement)
        if self.api == "v2":
            return FluxReader(http, org=org, bucket=database, measurement=measurement)
        return InfluxSqlReader(http, database=database, measurement=measurement)

    async def _post_lines(self, lines: list[str]) -> Reply:
        return await self._http.request(
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
                self._http.short(reply.error),
            )
            return WriteResult(written=len(lines) - dropped, dropped=dropped)
        raise self._http.error(reply, "write")

    async def _probe_write(self) -> None:
        """An empty write: passes the database, auth and permission checks."""
        reply = await self._post_lines([])
        # 400: InfluxDB 2.x checks bucket and permission, then wants points.
        if not reply.ok and reply.status != 400:
            raise self._http.error(reply, "write")

    async def _validate_v1(self) -> None:
        await self._http.checked("GET", "/ping", "ping")
        reply = await self._http.checked(
            "POST", "/query", "query", data={"q": "SHOW DATABASES"}
        )
        names: set[str] = set()
        for result in statement_results(self._http, reply, "SHOW DATABASES answer"):
            for series in result.get("series") or []:
                rows = series.get("values") if isinstance(series, dict) else None
                for row in rows if isinstance(rows, list) else []:
                    if isinstance(row, list) and row:
                        names.add(str(row[0]))
        if self.database not in names:
            raise SinkNotFoundError(
                self._http.redact(
                    f"InfluxDB at {self.url} has no database {self.database!r} "
                    "that these credentials may use"
                ),
                f"database {self.database!r}",
            )
        await self._probe_write()

    async def _validate_v2(self) -> None:
        reply = await self._http.checked(
            "GET",
            "/api/v2/buckets",
            "bucket lookup",
            params={"org": self._write_params["org"], "name": self.database},
            headers={"Accept": "application/json"},
        )
        buckets = self._http.json(reply, "bucket list", "buckets")
        if not isinstance(buckets, list) or not any(
            isinstance(b, dict) and b.get("name") == self.database for b in buckets
        ):
            _LOGGER.debug("Bucket %r not listed; trying an empty write", self.database)
        await self._probe_write()

    async def _validate_v3(self) -> None:
        reply = await self._http.checked(
            "GET",
            "/api/v3/configure/database",
            "database list",
            params={"format": "json"},
            headers={"Accept": "application/json"},
        )
        rows = self._http.json(reply, "database list", kind=list)
        names = {
            value
            for row in rows
            if isinstance(row, dict)
            for value in row.values()
            if isinstance(value, str)
        }
        if self.database not in names:
            raise SinkNotFoundError(
                self._http.redact(
                    f"InfluxDB at {self.url} has no database {self.database!r}"
                ),
                f"database {self.database!r}",
            )
