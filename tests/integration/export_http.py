"""Fetching exports over HTTP in the integration tests."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

URL = "/api/powertracker/export"


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a CSV export, by column name."""
    return list(csv.DictReader(io.StringIO(text)))


async def export_rows(
    hass_client: ClientSessionGenerator, params: dict[str, str]
) -> list[dict[str, str]]:
    """GET a CSV export (must answer 200) and parse it."""
    client = await hass_client()
    response = await client.get(URL, params=params)
    assert response.status == HTTPStatus.OK, await response.text()
    return csv_rows(await response.text())
