"""`GET /api/powertracker/export`: authenticated (Bearer token or signed path)."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util

from .params import ExportError, parse
from .run import run_export


class ExportView(HomeAssistantView):
    """CSV or PNG of recorded usage; bad input is a 4xx naming the parameter."""

    url = "/api/powertracker/export"
    name = "api:powertracker:export"
    requires_auth = True

    async def get(self, request: web.Request) -> web.Response:
        """Validate the query, then export."""
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
        return web.Response(
            body=result.body,
            content_type=result.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{result.filename}"',
                "Cache-Control": "no-store",
            },
        )
