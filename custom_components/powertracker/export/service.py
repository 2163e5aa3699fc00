"""The `powertracker.export` action: the endpoint's export, written to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Defined in http/server.py since 2026.x, re-exported here on every release
# (2026.x does not declare the re-export, hence the ignore).
from homeassistant.components.http import (  # type: ignore[attr-defined,unused-ignore]
    StaticPathConfig,
)
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util

from ..compat import vol
from ..const import DOMAIN
from ..entity import device_home_id
from .params import PARAMETERS, ExportError, parse
from .read import StoreError
from .run import missing, run_export

SERVICE_EXPORT = "export"
FILE_FIELDS = ("filename", "directory")
LOCAL = "/local"
"""Where Home Assistant serves `<config>/www`."""
_NAME_MAX = 255
"""Bytes in a file name (ext4, most others)."""
SCHEMA = vol.Schema(
    {vol.Optional(key): vol.Any(cv.string, vol.Coerce(int)) for key in PARAMETERS}
    | {vol.Optional(key): cv.string for key in FILE_FIELDS}
)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _store(
    hass: HomeAssistant, directory: str, filename: str, chunks: Iterator[bytes]
) -> tuple[Path, str | None, int]:
    """Write the file where Home Assistant allows it (file I/O: executor only);
    its path, URL (under www/) and size."""
    try:
        path = Path(hass.config.path(directory)).resolve() / filename
        allowed = hass.config.is_allowed_path(str(path))
    except (OSError, ValueError) as err:  # a NUL, a name too long for the system
        raise _error("write_failed", path=ascii(directory), error=str(err)) from err
    if not allowed:
        raise _error("path_not_allowed", path=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            size = sum(file.write(chunk) for chunk in chunks)
    except OSError as err:
        raise _error(
            "write_failed", path=str(path), error=err.strerror or str(err)
        ) from err
    www = Path(hass.config.path("www")).resolve()
    url = (
        f"{LOCAL}/{quote(path.relative_to(www).as_posix())}"
        if path.is_relative_to(www)
        else None
    )
    return path, url, size


async def _async_serve_www(hass: HomeAssistant) -> None:
    """Serve `www` at `/local` now, if Home Assistant does not yet.

    Home Assistant serves it only when `www` existed when it started: on a
    fresh install the first export creates it, and its URL would be a 404
    until a restart. The same static path then, without cache headers (an
    export of the same name is a new file).
    """
    if any(
        resource.canonical == LOCAL for resource in hass.http.app.router.resources()
    ):
        return
    await hass.http.async_register_static_paths(
        [StaticPathConfig(LOCAL, hass.config.path("www"), cache_headers=False)]
    )


def _plain_name(filename: str, suffix: str) -> bool:
    """A file name without folders, not hidden, printable, that fits any system."""
    return (
        Path(filename).name == filename
        and not filename.startswith(".")
        and filename.lower().endswith(suffix)
        and filename.isprintable()
        and len(filename.encode()) <= _NAME_MAX
    )


def _home_id(hass: HomeAssistant, home: str) -> str:
    """The Tibber home id of one of Powertracker's devices, else `home` as given
    (a Tibber home id typed in YAML)."""
    device = dr.async_get(hass).async_get(home)
    return (device_home_id(device.identifiers) if device else None) or home


async def _async_export(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    if call.context.user_id:  # people must be admins; automations have no user
        user = await hass.auth.async_get_user(call.context.user_id)
        if user is None or not user.is_admin:
            raise Unauthorized(context=call.context)
    query = {key: value for key, value in call.data.items() if key not in FILE_FIELDS}
    if "home" in query:  # the form's device selector gives a device id
        query["home"] = _home_id(hass, str(query["home"]))
    filename = call.data.get("filename")
    try:
        params = parse(query, dt_util.get_default_time_zone(), dt_util.utcnow())
    except ExportError as err:
        raise _error(err.key, **err.placeholders) from err
    suffix = f".{params.output.value}"
    if filename is not None and not _plain_name(filename, suffix):
        raise _error("invalid_filename", filename=ascii(filename), suffix=suffix)
    try:
        result = await run_export(hass, params)
    except ExportError as err:
        raise _error(err.key, **err.placeholders) from err
    except StoreError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="store_unreachable" if err.unreachable else "store_failed",
            translation_placeholders={"store": err.store}
            if err.unreachable
            else {"store": err.store, "error": err.reason},
        ) from err
    directory = call.data.get("directory") or hass.config.path("www", DOMAIN)
    path, url, size = await hass.async_add_executor_job(
        _store, hass, directory, filename or result.filename, result.chunks
    )
    if url is not None:
        await _async_serve_www(hass)
    response: dict[str, Any] = {
        "path": str(path),
        "url": url,
        "rows": result.rows,
        "bytes": size,
        "missing": missing(result.missing, dt_util.get_default_time_zone()),
    }
    return response


@callback
def async_register_services(hass: HomeAssistant) -> None:
    """Register the export action (from async_setup, for every entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT,
        _async_export,
        schema=SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
