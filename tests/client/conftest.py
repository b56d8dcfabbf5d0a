"""Every client test runs on each transport its client can send with.

``http_transport`` runs a test once per transport, by changing what ``transport="auto"``
(the default) means: ``default`` leaves it (an `AsyncClient` sends with aiohttp on asyncio
with the ``fast`` extra, httpx on trio; a `Client` with httpx); ``httpx`` makes the async
default plain httpx, as without the extra; ``urllib3`` makes the sync default urllib3 (opt-in
with ``transport="urllib3"``). Pairs that would run the same code twice are deselected: plain
httpx on trio (its default already) or for a sync client (``kind="sync"``), urllib3 for an
async-only test or on trio.
"""

from __future__ import annotations

import pytest

from anthropic_rx.client import _transport

#: ``default``: what the clients send with; ``httpx``: async as without the extra;
#: ``urllib3``: the sync client on urllib3.
HTTP_TRANSPORTS = ["default", "httpx", "urllib3"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "http_transport" not in metafunc.fixturenames:
        metafunc.fixturenames.append("http_transport")
    metafunc.parametrize("http_transport", HTTP_TRANSPORTS, indirect=True)


def _twin(params: dict[str, object]) -> bool:
    """Whether this test's run on its transport repeats another one (see the docstring)."""
    transport = params.get("http_transport")
    backend, kind = params.get("anyio_backend"), params.get("kind")
    if transport == "httpx":
        return backend != "asyncio" or kind == "sync"
    if transport == "urllib3":
        return backend is not None and (backend != "asyncio" or kind != "sync")
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        (dropped if callspec is not None and _twin(callspec.params) else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def http_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The transport this test's clients send with (see the module's docstring)."""
    name = str(request.param)
    if name == "httpx":
        monkeypatch.setattr(_transport, "aiohttp_available", lambda: False)
    elif name == "urllib3":
        monkeypatch.setattr(_transport, "SYNC_AUTO", "urllib3")
    return name
