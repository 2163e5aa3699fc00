"""`GET /api/powertracker/export`: authenticated (Bearer token or signed path)."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from .params import ExportError, parse
from .read import StoreError
from .run import MISSING_HEADER, missing_header, run_export


class ExportView(HomeAssistantView):
    """CSV or PNG of recorded usage; bad input is a 4xx naming the parameter.

    With `source=auto`, a store that does not answer costs only its rows: the
    answer is a 200 whose `X-Powertracker-Missing` header names the store and
    the time (and the time before the data begins). A store read on its own
    that does not answer is a 503 (refuses: 502) naming it."""

    url = "/api/powertracker/export"
    name = "api:powertracker:export"
    requires_auth = True

    async def get(self, request: web.Request) -> web.StreamResponse:
        """Validate the query, read, then stream the body as it is formatted."""
        hass = request.app[KEY_HASS]
        try:
            params = parse(
                request.query, dt_util.get_default_time_zone(), dt_util.utcnow()
            )
            result = await run_export(hass, params)
        except ExportError as err:
            status = (
                HTTPStatus.NOT_FOUND
                if err.key == "unknown_home"
                else HTTPStatus.BAD_REQUEST
            )
            return self.json(
                {"error": str(err), "parameter": err.parameter}, status_code=status
            )
        except StoreError as err:
            return self.json(
                {"error": str(err), "parameter": "source", "store": err.store},
                status_code=HTTPStatus.SERVICE_UNAVAILABLE
                if err.unreachable
                else HTTPStatus.BAD_GATEWAY,
            )
        headers = {
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "Cache-Control": "no-store",
        }
        if result.missing:
            tz = dt_util.get_default_time_zone()
            headers[MISSING_HEADER] = missing_header(result.missing, tz)
        response = web.StreamResponse(headers=headers)
        response.content_type = result.content_type
        await response.prepare(request)
        chunks = result.chunks
        while (
            chunk := await hass.async_add_executor_job(next, chunks, None)
        ) is not None:
            await response.write(chunk)
        await response.write_eof()
        return response
