"""Every client test runs on the default transports and on plain httpx.

With the ``fast`` extra (in the test extra), an `AsyncClient` sends with aiohttp on asyncio
(httpx on trio) and a `Client` with urllib3. ``http_transport`` runs each test once as the
default and once as if the extra were absent (``httpx``: both clients on plain httpx). On
trio the async default is httpx already: that pair is deselected rather than run twice.

``raw`` makes servers that write bytes by hand (`raw_server.RawServer`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from anthropic_rx.client import _transport

from .raw_server import Handler, RawServer

#: ``default``: what the clients send with; ``httpx``: both on plain httpx.
HTTP_TRANSPORTS = ["default", "httpx"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "http_transport" not in metafunc.fixturenames:
        metafunc.fixturenames.append("http_transport")
    metafunc.parametrize("http_transport", HTTP_TRANSPORTS, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        chosen = callspec.params if callspec is not None else {}
        twin = chosen.get("http_transport") == "httpx" and chosen.get("anyio_backend") == "trio"
        (dropped if twin else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def http_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The transport this test's clients send with (see the module's docstring)."""
    name = str(request.param)
    if name == "httpx":
        monkeypatch.setattr(_transport, "fast_installed", lambda: False)
    return name


@pytest.fixture
def raw() -> Iterator[Callable[[Handler], RawServer]]:
    """Make a `RawServer` running a handler; every one made is closed after the test."""
    servers: list[RawServer] = []

    def make(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield make
    for server in servers:
        server.close()
