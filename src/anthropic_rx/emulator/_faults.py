"""The fault scenarios F01-F22 of research/reliability.md: what the server does in each.

A scenario is an async function of one `Exchange`. It applies to the first ``times`` attempts
of a conversation (``None``: every attempt); later attempts get the normal answer, so "fail N
times, then succeed" is ``{"times": N}``. Edge scenarios (F07, F21, F22) act like a proxy in
front of the API: before the key and the body are checked.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate

from . import _mangle
from ._exchange import SSE_TYPE, Exchange, ratelimit_headers
from ._wire import PING, Event, dumps, frame

__all__ = ["SCENARIOS", "Scenario", "normal", "scenario_code"]

Handler = Callable[[Exchange], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One fault scenario.

    Attributes:
        code: ``"F01"`` … ``"F22"``.
        title: what the server does, in a line.
        run: the handler.
        times: how many attempts of a conversation get the fault by default (``None``: all).
        edge: whether it happens before authentication and validation, as at a proxy.
    """

    code: str
    title: str
    run: Handler
    times: int | None = None
    edge: bool = False


def scenario_code(name: str) -> str | None:
    """Normalise ``"f3"``, ``"F03"`` or ``" F3 "`` to ``"F03"``; ``"none"`` and ``""`` to None."""
    name = name.strip().upper()
    if name in ("", "NONE", "NORMAL", "OFF"):
        return None
    if name.startswith("F") and name[1:].isdigit():
        return f"F{int(name[1:]):02d}"
    return name


def _html(status: int, reason: str) -> bytes:
    """A proxy's error page, as Cloudflare and nginx write them."""
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


# The API's error type for each status (docs.claude.com/en/api/errors); others are api_error.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
# Statuses that come from a proxy in front of the API, with its HTML page.
_PROXY_REASONS = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}

# What a 200 from a bot-checking proxy looks like.
_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head>'
    b"<body><noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
)


def _script(ex: Exchange) -> list[Event]:
    """The normal answer as pieces: its events, or a JSON body in two halves."""
    if ex.stream:
        return list(ex.answer().events)
    body = dumps(ex.answer().message).encode()
    return [Event("", body[: len(body) // 2]), Event("", body[len(body) // 2 :])]


def _cut(ex: Exchange, events: list[Event]) -> int:
    return _mangle.cut_index(events, int(ex.option("after", 3))) if ex.stream else 1


async def _open(ex: Exchange) -> None:
    await ex.start(200, SSE_TYPE if ex.stream else "application/json")


async def _send_all(ex: Exchange, events: list[Event]) -> None:
    await ex.start(200)
    if await ex.stream_events(events):
        await ex.end()


async def normal(ex: Exchange) -> None:
    """Answer normally: the generated or replayed message, streamed or as one JSON body."""
    if not ex.stream:
        await ex.send_json(200, ex.answer().message)
        return
    await _send_all(ex, ex.answer().events)


async def _rate_limited(ex: Exchange) -> None:
    variant = _variant(ex, "retry-after")
    seconds = float(ex.option("retry_after", 3600 if variant == "long" else 2))
    retry = {"retry-after": f"{seconds:g}"}
    details: dict[str, object] = {}
    message = "This request would exceed your organization's rate limit. Please retry later."
    if variant == "ms":
        milliseconds = float(ex.option("retry_after_ms", 1500))
        retry, seconds = {"retry-after-ms": f"{milliseconds:g}"}, milliseconds / 1000
    elif variant == "date":
        retry = {"retry-after": formatdate(time.time() + seconds, usegmt=True)}
    elif variant == "spend-limit":
        # Waiting never clears a spend limit, however soon retry-after says to come back.
        details = {"details": {"error_code": "enforced_spend_limit_reached"}}
        message = "You have reached your specified workspace API usage limits."
    headers = {**ratelimit_headers(exhausted=True, reset_in=seconds), **retry}
    await ex.send_error(429, "rate_limit_error", message, headers, **details)


async def _status(ex: Exchange) -> None:
    status = int(ex.option("status", 529))
    variant = str(ex.option("variant", ""))
    headers: dict[str, str] = {}
    should_retry = ex.option("should_retry", None)
    if variant == "should-retry-false":
        should_retry = False
    elif variant == "should-retry-true":
        status, should_retry = 400, True
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry in (True, "true", 1) else "false"
    if status in _PROXY_REASONS:
        await ex.send_body(status, "text/html", _html(status, _PROXY_REASONS[status]), headers)
    elif status == 529:
        await ex.send_error(529, "overloaded_error", "Overloaded", headers)
    else:
        error_type = _ERROR_TYPES.get(status, "api_error")
        message = "Internal server error" if status == 500 else f"Emulated {error_type}"
        await ex.send_error(status, error_type, message, headers)


async def _error_mid_stream(ex: Exchange) -> None:
    if not ex.stream:
        await normal(ex)
        return
    events = ex.answer().events
    error = _mangle.error_event(
        str(ex.option("error_type", "overloaded_error")), str(ex.option("message", "Overloaded"))
    )
    await _send_all(ex, [*events[: _cut(ex, events)], error])


async def _error_first(ex: Exchange) -> None:
    if not ex.stream:
        await ex.send_error(529, "overloaded_error", "Overloaded")
        return
    error = _mangle.error_event(
        str(ex.option("error_type", "overloaded_error")), str(ex.option("message", "Overloaded"))
    )
    await _send_all(ex, [error])


async def _reset(ex: Exchange) -> None:
    events = _script(ex)
    await _open(ex)
    if await ex.stream_events(events[: _cut(ex, events)]):
        await ex.reset()


async def _close_early(ex: Exchange) -> None:
    events = _script(ex)
    await _open(ex)
    if not await ex.stream_events(events[: _cut(ex, events)]):
        return
    if ex.option("variant", "fin") == "end":
        await ex.end()  # a proper chunked end: the truncating proxy of F06(b)
    else:
        await ex.fin()  # no terminating chunk: F06(a)


async def _no_headers(ex: Exchange) -> None:
    variant = ex.option("variant", "hang")
    if variant == "reset":
        await ex.reset()
    elif variant == "close":
        await ex.fin()
    else:
        await ex.stall()  # then the exchange closes the connection, still without headers


async def _stall(ex: Exchange) -> None:
    events = _script(ex)
    at = 0 if ex.option("variant", "events") == "headers" else _cut(ex, events)
    await _open(ex)
    if not await ex.stream_events(events[:at]) or await ex.stall() == "stop":
        return
    if await ex.stream_events(events[at:]):
        await ex.end()


async def _keep_alive_only(ex: Exchange, filler: Event | None) -> None:
    """Write the prefix, then *filler* (a ping, or a delta) every ``interval`` until released."""
    events = _script(ex)
    at = _cut(ex, events)
    await _open(ex)
    if not await ex.stream_events(events[:at]):
        return
    ex.hub.stats.note_progress(ex.request_id, stalled=True)
    interval = float(ex.option("interval", 2.0 if filler is PING else 0.05))
    deadline = time.monotonic() + float(ex.option("stall", 3600.0))
    gate = str(ex.option("gate", "default"))
    while time.monotonic() < deadline:
        outcome = await ex.wait(interval, gate)
        if outcome == "stop":
            return
        if outcome == "gate":
            break
        if filler is not None and not await ex.write(filler.raw, events=1):
            return
    if await ex.stream_events(events[at:]):
        await ex.end()


async def _pings(ex: Exchange) -> None:
    if not ex.stream:
        await normal(ex)
        return
    await _keep_alive_only(ex, PING)


async def _endless(ex: Exchange) -> None:
    if not ex.stream:
        await _stall(ex)
        return
    events = ex.answer().events
    index = _mangle.block_at(events, _cut(ex, events))
    delta = {"type": "text_delta", "text": " more"}
    await _keep_alive_only(
        ex, frame({"type": "content_block_delta", "index": index, "delta": delta})
    )


def _edit(edit: Callable[[Exchange, list[Event], int], list[Event]]) -> Handler:
    """Make a handler that streams the answer's events after *edit*; JSON bodies stay normal."""

    async def run(ex: Exchange) -> None:
        if not ex.stream:
            await normal(ex)
            return
        events = list(ex.answer().events)
        await _send_all(ex, edit(ex, events, _cut(ex, events)))

    return run


def _variant(ex: Exchange, default: str) -> str:
    return str(ex.option("variant", default))


def _truncated(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.truncate(events, _variant(ex, "mid-line"), at if "after" in ex.options else None)


def _malformed(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.malformed(events, at, keep_rest=_variant(ex, "continue") != "end")


def _unknown_event(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.unknown_event(events, at)


def _unknown_types(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.unknown_types(events, at, _variant(ex, "both"))


def _violation(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.protocol_violation(events, at, _variant(ex, "index"))


def _bad_utf8(ex: Exchange, events: list[Event], at: int) -> list[Event]:
    return _mangle.corrupt_utf8(events, at, _variant(ex, "invalid"))


async def _huge(ex: Exchange) -> None:
    if not ex.stream:
        await normal(ex)
        return
    events = list(ex.answer().events)
    size = int(ex.option("size", 10 * 1024 * 1024))
    kind = str(ex.option("kind", "text"))
    events, digest = _mangle.huge(events, _cut(ex, events), size, kind)
    await ex.start(200, headers={"x-emulator-sha256": digest})
    step = size + 1024 if _variant(ex, "chunks") == "one" else int(ex.option("write_size", 1024))

    def chunks(raw: bytes) -> list[bytes]:
        return [raw[i : i + step] for i in range(0, len(raw), step)]

    if await ex.stream_events(events, split=chunks):
        await ex.end()


async def _drip(ex: Exchange) -> None:
    events = _script(ex)
    await _open(ex)
    gap = float(ex.option("gap", 0.01))
    if await ex.stream_events(
        events, split=lambda raw: [raw[i : i + 1] for i in range(len(raw))], gap=gap
    ):
        await ex.end()


async def _framing(ex: Exchange) -> None:
    if not ex.stream:
        await normal(ex)
        return
    variant = _variant(ex, "crlf")
    events = [Event(e.type, _mangle.reframe(e.raw, variant), e.tokens) for e in ex.answer().events]
    await ex.start(200)
    split = _mangle.split_after_cr if ex.option("split", True) else None
    if await ex.stream_events(events, split=split, gap=float(ex.option("gap", 0.0))):
        await ex.end()


async def _not_sse(ex: Exchange) -> None:
    variant = _variant(ex, "json")
    if variant == "html":
        await ex.send_body(200, "text/html; charset=utf-8", _CHALLENGE)
    elif variant == "empty":
        await ex.send_body(200, SSE_TYPE, b"")
    else:
        await ex.send_json(200, ex.answer().message)  # a proxy that dropped "stream": true


async def _too_large(ex: Exchange) -> None:
    await ex.send_body(413, "text/html", _html(413, "Request Entity Too Large"))


async def _redirect(ex: Exchange) -> None:
    status = int(ex.option("status", 308 if _variant(ex, "307") == "308" else 307))
    location = str(ex.option("location", f"{ex.target_url}/v1/messages"))
    reason = "Permanent Redirect" if status == 308 else "Temporary Redirect"
    await ex.send_body(status, "text/html", _html(status, reason), {"location": location})


SCENARIOS: dict[str, Scenario] = {
    s.code: s
    for s in (
        Scenario("F01", "429 rate_limit_error before the first byte, then 200", _rate_limited, 1),
        Scenario("F02", "529/500/502/503/504 before the first byte, then 200", _status, 1),
        Scenario("F03", "event: error (overloaded_error) after N deltas", _error_mid_stream),
        Scenario("F04", "event: error as the very first event, then 200", _error_first, 1),
        Scenario("F05", "TCP RST after N deltas", _reset),
        Scenario("F06", "no message_stop: FIN mid-chunk, or a clean chunked end", _close_early),
        Scenario("F07", "accept, never send headers (or FIN/RST at once)", _no_headers, 1, True),
        Scenario("F08", "stall after the headers or after N deltas", _stall),
        Scenario("F09", "only pings after N deltas", _pings),
        Scenario(
            "F10", "the last event cut inside its data line or its blank line", _edit(_truncated)
        ),
        Scenario("F11", "a well-framed event with malformed JSON", _edit(_malformed)),
        Scenario("F12", "an unknown event type", _edit(_unknown_event)),
        Scenario("F13", "unknown delta and block types", _edit(_unknown_types)),
        Scenario("F14", "protocol violations (bad index, double stop, ...)", _edit(_violation)),
        Scenario("F15", "one huge event (10 MiB) in 1 KiB writes or in one write", _huge),
        Scenario("F16", "slowloris: one byte per write, with a gap", _drip),
        Scenario("F17", "invalid UTF-8 in a delta, or a BOM", _edit(_bad_utf8)),
        Scenario("F18", "an endless stream, for the client to abandon", _endless),
        Scenario("F19", "CRLF or CR-only framing, CR and LF in separate writes", _framing),
        Scenario("F20", "200 that is not an event stream (JSON, HTML, empty)", _not_sse),
        Scenario("F21", "413 with a proxy's HTML body", _too_large, None, True),
        Scenario("F22", "307/308 redirect to another origin", _redirect, None, True),
    )
}
