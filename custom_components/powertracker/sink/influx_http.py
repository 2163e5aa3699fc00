"""InfluxDB's HTTP API on a borrowed aiohttp session: auth, requests, errors.

Free of Home Assistant. The InfluxDB sink writes and checks through it.

Credentials: a token (``Authorization: Token <token>``, ``Bearer`` for v3), or
a username and password (HTTP basic auth, so no secret is ever in a URL), or
nothing for a server without authentication.

Failures (never with a token or password in the message): 401 ->
`SinkAuthError`; 403 -> `SinkPermissionError`; 404 naming a database, bucket
or organization -> `SinkNotFoundError`; 408, 429, 5xx, connection errors,
timeouts and TLS errors -> `SinkUnreachableError` (retry later); any other
refusal -> `InfluxRequestError`, which retrying cannot fix (wrong URL, API
version or settings).
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

from .models import (
    SinkAuthError,
    SinkError,
    SinkNotFoundError,
    SinkPermissionError,
    SinkUnreachableError,
)
from .settings import ApiVersion

_LOGGER = logging.getLogger(__name__)

ERROR_TEXT_LIMIT: Final = 200
"""Characters of InfluxDB's error text kept in an exception message."""
REDACTED: Final = "***"

_NOT_FOUND = re.compile(r"\b(database|bucket|organization|org|namespace)\b", re.I)


class InfluxRequestError(SinkError):
    """InfluxDB refused a request in a way retrying cannot fix.

    A 4xx other than the mapped ones: usually a wrong URL or API version (a
    404 that names no database), or settings InfluxDB rejects (a bad name).
    """

    retryable = False
    reason = "sink_refused"


@dataclass(frozen=True, slots=True)
class Reply:
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


def parse_reply(status: int, body: bytes, headers: Mapping[str, str]) -> Reply:
    """The `Reply` of an answer, with InfluxDB's error text found wherever it is."""
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
    return Reply(status, text, error, refused)


class InfluxHttp:
    """Requests to one InfluxDB server, authenticated, mapped to `SinkError`s."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        url: str,
        api: ApiVersion,
        token: str | None,
        username: str | None,
        password: str | None,
        verify_ssl: bool,
        timeout: float,
    ) -> None:
        """`url` is the server's base URL (a path prefix is kept, for a proxy)."""
        self.url = url.rstrip("/")
        self.api: ApiVersion = api
        self._session = session
        self._verify_ssl = verify_ssl
        self._timeout = timeout
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers: dict[str, str] = {}
        basic = ""
        if token:
            scheme = "Bearer" if api == "v3" else "Token"
            self._headers["Authorization"] = f"{scheme} {token}"
        elif username:
            # RFC 7617, built here: aiohttp 3.14 deprecates BasicAuth and auth=,
            # and its replacement encode_basic_auth() is missing from 3.11.
            pair = f"{username}:{password or ''}".encode()
            basic = base64.b64encode(pair).decode("ascii")
            self._headers["Authorization"] = f"Basic {basic}"
        self._secrets = tuple(s for s in (token, password, basic) if s)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """InfluxDB's answer, whatever its status; `SinkUnreachableError` if none."""
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
                reply = parse_reply(response.status, body, response.headers)
        except TimeoutError as err:
            raise SinkUnreachableError(
                f"InfluxDB at {self.url} did not answer within {self._timeout:g} s",
                f"{self.url}, {self._timeout:g} s",
            ) from err
        except (aiohttp.ClientError, OSError) as err:  # ssl.SSLError is an OSError
            detail = self.redact(
                f"{self.url}: {self.short(str(err) or type(err).__name__)}"
            )
            raise SinkUnreachableError(
                f"Cannot reach InfluxDB at {detail}", detail
            ) from err
        _LOGGER.debug(
            "InfluxDB %s %s: HTTP %d%s",
            method,
            path,
            reply.status,
            f" ({self.short(reply.error)})" if reply.error else "",
        )
        return reply

    async def checked(
        self, method: str, path: str, action: str, **kwargs: Any
    ) -> Reply:
        """`request`, raising the `SinkError` of any answer but a 2xx."""
        reply = await self.request(method, path, **kwargs)
        if not reply.ok:
            raise self.error(reply, action)
        return reply

    def json(
        self, reply: Reply, what: str, key: str | None = None, kind: type = object
    ) -> Any:
        """`reply`'s JSON (its `key`) if it is a `kind`; else InfluxRequestError."""
        try:
            data = json.loads(reply.text)
            data = data if key is None else data[key]
            if isinstance(data, kind):
                return data
        except (ValueError, KeyError, TypeError):
            pass
        raise InfluxRequestError(
            f"InfluxDB at {self.url} sent an unexpected {what}", f"unexpected {what}"
        )

    def error(self, reply: Reply, action: str) -> SinkError:
        """The `SinkError` for a refusal of `action` (no secrets in it)."""
        status = reply.status
        said = self.short(reply.error)
        # "HTTP 404: Not Found", also when the text repeats the status itself.
        detail = f"HTTP {status}"
        if said.startswith(str(status)):
            detail = f"HTTP {said}"
        elif said:
            detail = f"{detail}: {said}"
        message = f"InfluxDB {action} failed ({detail})"
        if status == 401:
            return SinkAuthError(message, detail)
        if status == 403:
            return SinkPermissionError(message, detail)
        if status == 404 and _NOT_FOUND.search(reply.error):
            return SinkNotFoundError(message, detail)
        if status == 404:
            return InfluxRequestError(
                f"{message}: the URL or the API version ({self.api}) may be wrong",
                detail,
            )
        if status in (408, 429) or status >= 500:
            return SinkUnreachableError(message, detail)
        if 400 <= status < 500:
            return InfluxRequestError(message, detail)
        return SinkError(message, detail)

    def short(self, text: str) -> str:
        """`text` on one line, at most `ERROR_TEXT_LIMIT` characters, redacted."""
        text = " ".join(self.redact(text).split())
        if len(text) > ERROR_TEXT_LIMIT:
            return f"{text[: ERROR_TEXT_LIMIT - 1]}…"
        return text

    def redact(self, text: str) -> str:
        """`text` with the token, password and basic-auth pair masked."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text
