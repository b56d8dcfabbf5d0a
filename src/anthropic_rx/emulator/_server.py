"""Serve the emulator with uvicorn on 127.0.0.1: in a background thread, or in the foreground.

uvicorn runs the app through a subclass of its h11 protocol that records every connection
(opened, bytes in, how it closed) and lets the app find the asyncio transport of its request by
the client's address, for the faults that work below HTTP (FIN mid-body, RST). The server
subclass replaces uvicorn's 0.1 s polling with events, so starting and stopping take
milliseconds and tests never sleep.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Unpack, cast

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ._app import AppSettings, EmulatorApp
from ._exchange import Connection, Hub
from ._stats import Stats

__all__ = ["Emulator"]


def _protocol_class(hub: Hub) -> type[H11Protocol]:
    """Make uvicorn's h11 protocol report to *hub*; a class per emulator, so no globals."""

    class EmulatorProtocol(H11Protocol):
        emulator_connection: Connection | None = None
        key: tuple[str, int, int] = ("", 0, 0)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            transport = cast("asyncio.Transport", transport)  # always, for a TCP server
            peer = transport.get_extra_info("peername")
            local = transport.get_extra_info("sockname")
            port = int(local[1]) if local else 0
            self.key = (str(peer[0]), int(peer[1]), port) if peer else ("", 0, port)
            connection = Connection(hub.stats.note_open(self.key[:2], hub.origin(port)), transport)
            self.emulator_connection = connection
            hub.connections[self.key] = connection
            super().connection_made(transport)

        def data_received(self, data: bytes) -> None:
            if self.emulator_connection is not None:
                hub.stats.note_connection(self.emulator_connection.id, bytes_received=len(data))
            super().data_received(data)

        def eof_received(self) -> None:
            # The client's FIN arrived first: whatever happens next, it closed the connection.
            if self.emulator_connection is not None and self.emulator_connection.reason is None:
                self.emulator_connection.reason = "client_fin"
            super().eof_received()

        def connection_lost(self, exc: Exception | None) -> None:
            connection = self.emulator_connection
            if connection is not None:
                reason = connection.reason or (
                    "client_reset" if exc is not None else "server_close"
                )
                hub.stats.note_connection(connection.id, close_reason=reason)
                if hub.connections.get(self.key) is connection:
                    del hub.connections[self.key]
                connection.lost.set()
            super().connection_lost(exc)

    return EmulatorProtocol


class _Server(uvicorn.Server):
    """uvicorn's server, woken by events instead of polling every 0.1 s."""

    def __init__(self, config: uvicorn.Config, hub: Hub, grace: float) -> None:
        super().__init__(config)
        self.hub = hub
        self.grace = grace
        self.ready = threading.Event()
        self.announce: Callable[[], None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._exit: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self._exit = asyncio.Event()
        await super().startup(sockets)
        self.ready.set()
        if self.announce is not None:
            self.announce()

    async def main_loop(self) -> None:
        assert self._exit is not None
        # on_tick(0) refreshes the Date header and reports should_exit; the event wakes us early.
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), 1.0)

    def begin_exit(self) -> None:
        """Ask the server to stop; call from its loop."""
        self.should_exit = True
        self.hub.shut()
        if self._exit is not None:
            self._exit.set()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.begin_exit)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        self.hub.shut()  # stalls end and streams stop, so every response finishes now
        for protocol in list(self.server_state.connections):
            protocol.shutdown()
        tasks = set(self.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        waits = [asyncio.ensure_future(c.lost.wait()) for c in self.hub.connections.values()]
        if waits:
            _, waiting = await asyncio.wait(waits, timeout=self.grace)
            for waiter in waiting:
                waiter.cancel()
        for connection in list(self.hub.connections.values()):
            connection.reason = connection.reason or "server_reset"
            connection.transport.abort()  # still open after the grace period: cut it
        for server in self.servers:
            await server.wait_closed()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), family=_family(host), backlog=128)
    sock.setblocking(False)
    return sock


class Emulator:
    """A local Messages API served by uvicorn on 127.0.0.1, with its own thread and loop.

    Use it as a context manager (``with`` or ``async with``): entering starts the server and
    returns once it accepts requests; leaving stops it, ending every response and closing
    every connection. See the `anthropic_rx.emulator` docstring for scenarios and options.

    Args:
        settings: what the app answers and how, the keywords of `EmulatorApp`:
            ``recording``, ``scenario``, ``options``, ``pace``, ``api_key``, ``seed``,
            ``padding``, ``require_version``, ``models``, ``max_body``.
        host: the address to listen on.
        port: the main port; 0 picks a free one.
        target_port: the port of the redirect target origin (F22); 0 picks a free one.
        log_level: uvicorn's log level.
        grace: seconds responses get to finish when the emulator stops.

    Example:
        >>> with Emulator() as emu:
        ...     client = anthropic.Anthropic(api_key="sk-test", base_url=emu.base_url)
        ...     message = client.messages.create(
        ...         model="claude-x", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
        ...     )
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        target_port: int = 0,
        log_level: str = "warning",
        grace: float = 2.0,
        **settings: Unpack[AppSettings],
    ) -> None:
        self.app = EmulatorApp(**settings)
        self.host = host
        self._ports = (port, target_port)
        self._log_level = log_level
        self._grace = grace
        self._sockets: list[socket.socket] = []
        self._refused: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = f"running on {self.base_url}" if self._server is not None else "stopped"
        return f"<Emulator {state}>"

    # -- addresses and records ------------------------------------------------------------

    def _url(self, sock: socket.socket | None) -> str:
        if sock is None:
            raise RuntimeError("the emulator is not running: use `with Emulator() as emu:`")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{sock.getsockname()[1]}"

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:54321`` (pass it as ``base_url``)."""
        return self._url(self._sockets[0] if self._sockets else None)

    @property
    def port(self) -> int:
        """The main port."""
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def target_url(self) -> str:
        """The redirect target: another origin (port) of this emulator, which F22 points to."""
        return self._url(self._sockets[1] if len(self._sockets) > 1 else None)

    @property
    def refused_url(self) -> str:
        """A URL whose port is bound but not listening: connecting to it is refused (F07)."""
        return self._url(self._refused)

    @property
    def stats(self) -> Stats:
        """Connections and requests seen so far; thread-safe."""
        return self.app.stats

    # -- control from the test's thread -------------------------------------------------

    def _call(self, function: Callable[[], None]) -> None:
        """Run *function* on the server's loop and wait until it ran."""
        server = self._server
        if server is None or server.loop is None:
            function()
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                function()
                done.set_result(None)
            except BaseException as exc:  # pragma: no cover - relayed to the caller
                done.set_exception(exc)

        server.loop.call_soon_threadsafe(run)
        done.result(timeout=5.0)

    def release(self, gate: str = "default") -> None:
        """Open *gate*: stalls waiting on it (F07, F08, F09, F18) go on, now or when they start."""
        self._call(lambda: self.app.hub.release(gate))

    def reset(self) -> None:
        """Forget requests, attempts, held threads, batches and closed connections; close gates."""
        self._call(self.app.hub.reset)
        self._call(self.app.threads.clear)
        self._call(self.app.batches.reset)
        self.app.stats.reset()

    def wait_stalled(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until *count* responses are held by a stall; return whether they are."""
        return self.stats.wait_for(lambda s: sum(r.stalled for r in s.requests()) >= count, timeout)

    # -- life cycle ----------------------------------------------------------------------

    def _prepare(self) -> _Server:
        self.app.hub.closing = False  # the emulator may be started again after a stop
        self._sockets = [_listen(self.host, port) for port in self._ports]
        # Bound but never listening: the kernel refuses connections with an RST.
        self._refused = socket.socket(_family(self.host), socket.SOCK_STREAM)
        self._refused.bind((self.host, 0))
        self.app.hub.target_port = self._sockets[1].getsockname()[1]
        self.app.target_url = self.target_url
        config = uvicorn.Config(
            self.app,
            http=_protocol_class(self.app.hub),
            ws="none",
            lifespan="off",
            loop="asyncio",
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_keep_alive=5,
        )
        self._server = _Server(config, self.app.hub, self._grace)
        return self._server

    def start(self) -> Emulator:
        """Start serving in a background thread; return once requests are accepted."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = self._prepare()
        self._thread = threading.Thread(target=self._run, name="anthropic_rx-emulator", daemon=True)
        self._thread.start()
        if not server.ready.wait(timeout=10.0) or self._error is not None:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self._error!r}")
        return self

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=self._sockets)
        except BaseException as exc:  # SystemExit included: uvicorn exits on startup errors
            self._error = exc
        finally:
            self._server.ready.set()

    def serve_forever(self, announce: Callable[[], None] | None = None) -> None:
        """Serve in the calling (main) thread until Ctrl-C or SIGTERM; for the CLI.

        Args:
            announce: called once the server accepts requests (to print the URLs).
        """
        server = self._prepare()
        server.announce = announce
        try:
            server.run(sockets=self._sockets)
        finally:
            self._close_sockets()
            self._server = None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: end every response, close every connection, join the thread."""
        server, thread = self._server, self._thread
        if (
            server is not None
            and server.loop is not None
            and thread is not None
            and thread.is_alive()
        ):
            with contextlib.suppress(RuntimeError):  # the loop may have just closed
                server.loop.call_soon_threadsafe(server.begin_exit)
        if thread is not None:
            thread.join(timeout)
        self._close_sockets()
        self._server = self._thread = None

    def _close_sockets(self) -> None:
        for sock in [*self._sockets, *([self._refused] if self._refused else [])]:
            sock.close()
        self._refused = None
        self._sockets = []

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Starting takes milliseconds and needs nothing from the caller's loop, so it may block.
    async def __aenter__(self) -> Emulator:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()
