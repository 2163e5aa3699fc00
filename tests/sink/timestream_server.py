"""moto's Timestream in the test process, and helpers of the Timestream sink tests.

`ThreadedMotoServer` serves moto's backends from a thread of this process, so
the tests read what the sink wrote straight from moto's backend objects. A test
module takes the fixtures by assigning them (`moto = timestream_server.moto`).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import pytest
import pytest_socket
from aiobotocore.awsrequest import AioAWSResponse  # type: ignore[import-untyped]
from aiobotocore.session import AioSession  # type: ignore[import-untyped]
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.timestreamwrite.models import (
    TimestreamTable,
    TimestreamWriteBackend,
    timestreamwrite_backends,
)

REGION = "eu-west-1"
FAKE_KEY = "testing"
"""moto takes any credentials; these are the conventional fake ones."""


class MotoTimestream:
    """A moto server on 127.0.0.1 (any free port) and its Timestream backend."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> None:
        """Serve (sockets must be enabled: binding needs one)."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        """Shut the server down and wait for its thread."""
        self._server.stop()

    def backend(self, region: str = REGION) -> TimestreamWriteBackend:
        """moto's Timestream state of `region`."""
        return timestreamwrite_backends[DEFAULT_ACCOUNT_ID][region]

    def has_database(self, database: str, region: str = REGION) -> bool:
        """Whether moto holds `database`."""
        return database in self.backend(region).databases

    def table(self, database: str, table: str, region: str = REGION) -> TimestreamTable:
        """moto's table object (`records` holds every record written, in order)."""
        return self.backend(region).databases[database].tables[table]

    def settings(
        self, database: str, table: str, region: str = REGION
    ) -> tuple[int, int, bool]:
        """(memory hours, magnetic days, magnetic writes) of a table."""
        found = self.table(database, table, region)
        retention = found.retention_properties
        return (
            retention["MemoryStoreRetentionPeriodInHours"],
            retention["MagneticStoreRetentionPeriodInDays"],
            found.magnetic_store_write_properties["EnableMagneticStoreWrites"],
        )


def request_threads() -> set[threading.Thread]:
    """The werkzeug threads serving a request right now."""
    return {
        thread
        for thread in threading.enumerate()
        if "process_request_thread" in thread.name
    }


def join_request_threads(before: set[threading.Thread], timeout: float = 5.0) -> None:
    """Wait for request threads started since `before` (phacc fails on leftovers)."""
    for thread in request_threads() - before:
        thread.join(timeout)


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoTimestream]:
    """moto in a thread of this process, for the whole module.

    Started here, before phacc's per-test thread check takes its snapshot (a
    thread started inside a test would count as left behind). Module fixtures
    cannot use the function fixture `socket_enabled`, and phacc disables
    sockets before every test, so binding the server needs them enabled here;
    every test using the server requests `socket_enabled` as well.
    """
    pytest_socket.enable_socket()
    server = MotoTimestream()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto(socket_enabled: None, moto_server: MotoTimestream) -> Iterator[MotoTimestream]:
    """The module's moto server; waits for its request threads at the end."""
    before = request_threads()
    yield moto_server
    join_request_threads(before)


@pytest.fixture
def names() -> tuple[str, str]:
    """A database and table name no other test uses (moto's state is shared)."""
    suffix = uuid.uuid4().hex[:10]
    return f"pt_db_{suffix}", f"pt_tbl_{suffix}"


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere: environment, shared files, instance role."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@asynccontextmanager
async def aws_client(url: str, region: str = REGION) -> AsyncIterator[Any]:
    """A separate aiobotocore timestream-write client of the moto server."""
    session = AioSession()
    async with session.create_client(
        "timestream-write",
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=FAKE_KEY,
        aws_secret_access_key=FAKE_KEY,
    ) as client:
        yield client


@dataclass
class CallLog:
    """What a client called, with the parameters (a `before-parameter-build` hook)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    async def of(cls, sink: Any) -> Self:
        """Record every call `sink`'s client makes from now on."""
        log = cls()
        client = await sink._aws.client()
        client.meta.events.register(
            "before-parameter-build.timestream-write", log._record
        )
        return log

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append((str(model.name), params))

    @property
    def operations(self) -> list[str]:
        """The operation names, in order."""
        return [name for name, _ in self.calls]


class _Body:
    """The raw body aiobotocore reads from a response."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.raw_headers = [(b"content-type", b"application/x-amz-json-1.0")]

    async def read(self) -> bytes:
        return self._body


def json_response(url: str, body: dict[str, Any]) -> Any:
    """A 200 answer with a JSON body, for a `before-send` hook to return."""
    return AioAWSResponse(
        url,
        200,
        {"content-type": "application/x-amz-json-1.0"},
        _Body(json.dumps(body).encode()),
    )
