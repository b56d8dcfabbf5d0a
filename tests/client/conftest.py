"""Every async client test runs on the default transport and on plain httpx.

The default of an `AsyncClient` we make is aiohttp on asyncio (the ``fast`` extra) and httpx
on trio; ``http_transport`` runs each test that runs on an anyio backend once as the default
and once with the default forced to plain httpx (``transport="auto"`` then means httpx, as
without the extra). Trio's default is httpx already, and a sync client (``kind="sync"``)
has one transport: those pairs are deselected rather than run twice.
"""

from __future__ import annotations

import pytest

from anthropic_rx.client import _transport

#: ``default``: what ``AsyncClient()`` sends with; ``httpx``: as if the extra were absent.
HTTP_TRANSPORTS = ["default", "httpx"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "anyio_backend" in metafunc.fixturenames:
        metafunc.fixturenames.append("http_transport")
        metafunc.parametrize("http_transport", HTTP_TRANSPORTS, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(item, "callspec", None)
        chosen = params.params if params is not None else {}
        twin = chosen.get("http_transport") == "httpx" and (
            chosen.get("anyio_backend") == "trio" or chosen.get("kind") == "sync"
        )
        (dropped if twin else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def http_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The transport this test's async clients send with (see the module's docstring)."""
    name = str(request.param)
    if name == "httpx":
        monkeypatch.setattr(_transport, "aiohttp_available", lambda: False)
    return name
