"""The emulator as a raw ASGI app: routing, validation, per-request control, dispatch."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack, cast
from urllib.parse import parse_qsl

from . import _count as count
from ._batches import BatchStore
from ._exchange import Connection, Exchange, Hub
from ._faults import SCENARIOS, Scenario, normal, scenario_code
from ._generate import Answer, generate
from ._stats import RequestRecord, Stats, redact, redact_headers
from ._threads import Threads
from ._validate import Problem, check_auth, check_body, check_version, parse_body, presented_key
from ._wire import JSONObject, accumulate, split_events

__all__ = ["AppSettings", "Control", "EmulatorApp"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_PREFIX = "emulator:"  # metadata.user_id values that carry emulator control
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _loose(value: str) -> Any:
    """Read a query-string value as JSON when it is JSON (``5``, ``true``), else as text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


@dataclass
class Control:
    """What a request asks of the emulator, merged over the server's defaults.

    Attributes:
        scenario: the scenario code, or ``None`` for a normal answer.
        options: scenario and generation options.
        pace: output tokens per second (0: as fast as possible).
        recording: the ``.sse`` file to replay, or ``None`` to generate.
        key: the conversation key attempts are counted under, or ``None`` for the body hash.
    """

    scenario: str | None = None
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    pace: float = 0.0
    recording: Path | None = None
    key: str | None = None

    def apply(self, settings: Mapping[str, Any]) -> None:
        """Take *settings* over the current values; options merge key by key."""
        settings = dict(settings)
        if "scenario" in settings:
            self.scenario = scenario_code(str(settings.pop("scenario") or ""))
        if "pace" in settings:
            self.pace = float(settings.pop("pace"))
        if "recording" in settings:
            recording = settings.pop("recording")
            self.recording = Path(str(recording)) if recording else None
        if "key" in settings:
            self.key = str(settings.pop("key"))
        self.options.update(settings)


class AppSettings(TypedDict, total=False):
    """The keywords of `EmulatorApp`, which `Emulator` passes on to it (written once here)."""

    recording: str | Path | None
    scenario: str | None
    options: Mapping[str, Any] | None
    pace: float
    api_key: str | None
    seed: int
    padding: bool
    require_version: bool
    models: Collection[str] | None
    max_body: int


class EmulatorApp:
    """A local Messages API as an ASGI app; `Emulator` serves it on a real socket.

    Run under another server (or ``httpx.ASGITransport``), everything works except the
    scenarios that act on the TCP connection itself (F05, F06 ``fin``, F07 ``close``/``reset``).

    Args:
        recording: a ``.sse`` file to replay instead of generating answers.
        scenario: the fault scenario of every request that does not choose its own.
        options: default scenario and generation options.
        pace: output tokens per second; 0 (the default) writes as fast as the client reads.
        api_key: accept only this key; ``None`` (the default) accepts any non-empty one.
        seed: mixed into generation, so emulators can differ deterministically (default 0).
        padding: pad data lines with spaces as the real API does (default ``True``).
        require_version: refuse requests without ``anthropic-version``, as the API does
            (default ``True``).
        models: the model names to accept (others get 404), or ``None`` (the default) for any.
        max_body: the largest request body accepted, in bytes (default 32 MB, the API's).
        stats: where to record connections and requests.
    """

    def __init__(self, *, stats: Stats | None = None, **settings: Unpack[AppSettings]) -> None:
        unknown = sorted(settings.keys() - AppSettings.__annotations__.keys())
        if unknown:
            raise TypeError(
                f"unexpected keyword arguments {unknown}: "
                f"expected {list(AppSettings.__annotations__)}"
            )
        recording = settings.get("recording")
        scenario = settings.get("scenario")
        self.defaults = Control(
            pace=settings.get("pace", 0.0), recording=Path(recording) if recording else None
        )
        self.defaults.scenario = scenario_code(scenario or "")
        self.defaults.apply(settings.get("options") or {})
        if self.defaults.scenario is not None and self.defaults.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}: expected F01…F22 or 'none'")
        self.hub = Hub(stats or Stats())
        self.threads = Threads()
        self.batches = BatchStore()  # /v1/messages/batches… (_batches.py)
        self.target_url: str | None = None
        self._api_key = settings.get("api_key")
        self._seed = settings.get("seed", 0)
        self._padding = settings.get("padding", True)
        self._require_version = settings.get("require_version", True)
        self._models = settings.get("models")
        self._max_body = settings.get("max_body", 32 * 1024 * 1024)

    def __repr__(self) -> str:
        key = "any" if self._api_key is None else redact(self._api_key)
        return f"<EmulatorApp scenario={self.defaults.scenario} api_key={key}>"

    @property
    def stats(self) -> Stats:
        """The connection and request records."""
        return self.hub.stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            while True:
                kind = (await receive())["type"]
                if kind == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif kind == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool] | None:
        """Read the body; return it and whether it is too large, or ``None`` if the client left."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = cast("bytes", message.get("body", b""))
            size += len(chunk)
            if size <= self._max_body:
                chunks.append(chunk)  # beyond the limit keep reading, so HTTP stays in step
            if not message.get("more_body", False):
                return b"".join(chunks), size > self._max_body

    def _control(self, headers: Mapping[str, str], body: JSONObject | None) -> Control:
        """Merge the server's defaults, ``metadata.user_id`` and the ``x-emulator-*`` headers."""
        control = Control(
            self.defaults.scenario,
            dict(self.defaults.options),
            self.defaults.pace,
            self.defaults.recording,
        )
        metadata = body.get("metadata") if body is not None else None
        user_id = (
            cast("JSONObject", metadata).get("user_id") if isinstance(metadata, dict) else None
        )
        if isinstance(user_id, str) and user_id.startswith(_PREFIX):
            control.apply(
                {
                    k: _loose(v)
                    for k, v in parse_qsl(user_id[len(_PREFIX) :], keep_blank_values=True)
                }
            )
        if "x-emulator-options" in headers:
            options = json.loads(headers["x-emulator-options"])
            if not isinstance(options, dict):
                raise ValueError("x-emulator-options must be a JSON object")
            control.apply(cast("JSONObject", options))
        for name in ("scenario", "pace", "recording", "key"):
            if f"x-emulator-{name}" in headers:
                control.apply({name: headers[f"x-emulator-{name}"]})
        if control.scenario is not None and control.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {control.scenario!r}: expected F01…F22 or none")
        if control.recording is not None and (
            control.recording.suffix != ".sse" or not control.recording.is_file()
        ):
            raise ValueError(f"recording {str(control.recording)!r} is not an existing .sse file")
        if control.pace < 0:
            raise ValueError("pace must be 0 (as fast as possible) or a positive number")
        return control

    def _answer(
        self, body: JSONObject | None, control: Control, threaded: bool
    ) -> Callable[[], Answer]:
        def build() -> Answer:
            if control.recording is not None:
                events = split_events(control.recording.read_bytes())
                return Answer(events, accumulate(events))
            assert body is not None  # validated before any answer is built
            answer = generate(body, seed=self._seed, options=control.options, padding=self._padding)
            if threaded:
                self.threads.hold(body, answer.message)
            return answer

        return build

    def _note(
        self,
        scope: Scope,
        headers: Mapping[str, str],
        raw: bytes,
        control: Control,
        connection: Connection | None,
    ) -> RequestRecord:
        """Record the request; a retry repeats body and emulator headers, so they key attempts."""
        server = scope.get("server")
        origin = self.hub.origin(server[1] if server else None)
        asked = f"{control.scenario}:{sorted(control.options.items())!r}:".encode()
        key = control.key or "body:" + hashlib.sha256(asked + raw).hexdigest()[:16]
        credential = presented_key(headers)
        body, _ = parse_body(raw)
        return self.hub.stats.note_request(
            RequestRecord(
                request_id="req_011C" + "".join(secrets.choice(_BASE62) for _ in range(20)),
                connection_id=connection.id if connection else None,
                origin=origin,
                method=scope["method"],
                path=scope["path"],
                conversation=key if origin == "primary" else f"target:{key}",
                headers=redact_headers(headers),
                api_key=redact(credential) if credential is not None else None,
                model=str(body["model"]) if body and isinstance(body.get("model"), str) else None,
                stream=bool(body and body.get("stream") is True),
                body=raw,
            )
        )

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        read = await self._read_body(receive)
        if read is None:
            return
        raw, too_large = read
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        server, client = scope.get("server"), scope.get("client")
        connection = (
            hub.connections.get((client[0], client[1], server[1])) if client and server else None
        )
        body, _ = parse_body(raw)
        threaded = body is not None and bool(body.get("thread"))
        expanded, thread_problem = self.threads.expand(body) if body is not None else (None, None)
        problem: Problem | None = None
        try:
            primary = self.hub.origin(server[1] if server else None) == "primary"
            control = self._control(headers, body) if primary else Control()
            scenario = SCENARIOS.get(control.scenario) if control.scenario else None
            times = control.options.get("times", scenario.times if scenario else None)
            limit = None if times is None else int(times)
        except (ValueError, TypeError) as exc:
            control, scenario, limit = Control(), None, None
            problem = Problem(400, "invalid_request_error", f"emulator: {exc}")
        record = self._note(scope, headers, raw, control, connection)
        if limit is not None and record.attempt > limit:
            scenario = None  # "fail N times, then succeed": this attempt gets the normal answer
        hub.stats.note_progress(
            record.request_id, scenario=scenario.code if scenario else None, options=control.options
        )
        exchange = Exchange(
            hub,
            send,
            record,
            connection=connection,
            options=control.options,
            stream=record.stream,
            pace=control.pace,
            answer=self._answer(expanded, control, threaded),
            target_url=self.target_url,
        )
        hub.live.add(exchange)
        if hub.closing:
            exchange.stop.set()
        watcher = asyncio.ensure_future(self._watch(receive, exchange))
        try:
            await self._respond(
                exchange,
                scope,
                headers,
                raw,
                too_large,
                scenario,
                problem,
                expanded,
                thread_problem,
            )
        except (ValueError, TypeError, KeyError) as exc:
            if exchange.started:
                raise
            # An option of the wrong type ({"after": "x"}): say so instead of a bare 500.
            name = scenario.code if scenario else "the answer"
            await exchange.send_error(
                400, "invalid_request_error", f"emulator: bad option for {name}: {exc!r}"
            )
        finally:
            hub.live.discard(exchange)
            await exchange.finish()
            watcher.cancel()

    @staticmethod
    async def _watch(receive: Receive, exchange: Exchange) -> None:
        """Tell *exchange* when the client disconnects (ASGI's ``http.disconnect``)."""
        while (await receive())["type"] != "http.disconnect":
            pass
        exchange.client_left()

    async def _respond(
        self,
        ex: Exchange,
        scope: Scope,
        headers: Mapping[str, str],
        raw: bytes,
        too_large: bool,
        scenario: Scenario | None,
        problem: Problem | None,
        expanded: JSONObject | None = None,
        thread_problem: Problem | None = None,
    ) -> None:
        if scope["path"].startswith("/v1/messages/batches"):
            checks = (self._api_key, self._require_version, too_large, problem)
            await self.batches.handle(ex, scope, headers, raw, *checks)
            return
        if scope["path"] == count.PATH:
            require, models = self._require_version, self._models
            await count.count_tokens(
                ex,
                scope["method"],
                headers,
                raw,
                api_key=self._api_key,
                require_version=require,
                models=models,
            )
            return
        if scope["path"] != "/v1/messages":
            await ex.send_error(404, "not_found_error", "Not Found")
            return
        if scope["method"] != "POST":
            await ex.send_error(
                405, "invalid_request_error", "Method Not Allowed", {"allow": "POST"}
            )
            return
        if problem is None and scenario is not None and scenario.edge:
            await scenario.run(ex)  # a proxy in front of the API: no key or body checks
            return
        problem = problem or check_auth(headers, self._api_key)
        problem = problem or check_version(headers, self._require_version)
        if problem is None and too_large:
            message = "Request exceeds the maximum allowed number of bytes."
            problem = Problem(413, "request_too_large", message)
        if problem is None:
            body, problem = parse_body(raw)
            problem = problem or thread_problem
            problem = problem or check_body(cast("JSONObject", expanded or body), self._models)
        if problem is not None:
            details = {"details": problem.details} if problem.details else {}
            await ex.send_error(problem.status, problem.type, problem.message, **details)
        elif scenario is not None:
            await scenario.run(ex)
        else:
            await normal(ex)
