"""A local Messages API for tests, demos and notebooks: answers, recordings and faults.

Needs the ``emulator`` extra (``pip install anthropic-rx[emulator]``, i.e. uvicorn). It
imports nothing else from anthropic_rx, and importing it loads none of the library (nor
reactivex, pydantic or httpx), so it can test the library as an outsider would.

Start it in-process (a background thread with its own event loop, ephemeral port)::

    from anthropic_rx.emulator import Emulator

    with Emulator() as emu:                      # or: async with Emulator() as emu
        client = anthropic.Anthropic(api_key="sk-test", base_url=emu.base_url)
        with client.messages.stream(model="claude-x", max_tokens=64,
                                    messages=[{"role": "user", "content": "Hi"}]) as stream:
            print(stream.get_final_message())
        assert emu.stats.wait_idle()             # no connection left open

or from a shell: ``python -m anthropic_rx.emulator --port 8080 --pace 50`` (``--help``).

**Answers.** ``POST /v1/messages``, streaming (``"stream": true``) or not, validated as the
API does: 401 ``authentication_error`` without ``x-api-key`` / ``Authorization: Bearer`` (or
with another key than ``api_key=``), 400 ``invalid_request_error`` without
``anthropic-version`` or on a bad body, 404 elsewhere, 405 for other methods, all in the
API's error JSON with a ``request-id`` header and ``anthropic-ratelimit-*`` headers. A
conversation is checked as the API checks it: each ``tool_use`` needs a ``tool_result`` in the
next turn and each ``tool_result`` a ``tool_use`` in the turn before (same wording as the API),
ids are unique, a server tool's result follows its ``server_tool_use``, and
``output_config.format`` is a ``json_schema``. The answer is a recording replayed byte for
byte (``recording="x.sse"``), or a message generated deterministically from the request
(see *Conversations*): text echoing the last user message, ``tool_use`` when ``tools`` are
offered (input streamed as ``input_json_delta`` fragments, the first one ``""``), a thinking
block first when ``thinking`` is enabled. A message longer than ``max_tokens`` is cut there
with ``stop_reason: "max_tokens"``. ``pace`` sets the output tokens per second (0: as fast
as possible).

**Conversations.** The generated answers play a plausible model, in English from a small
built-in phrase bank (no model, no download), the same for the same request and seed:

- *Tool input fits the tool's ``input_schema``*: types, required fields, enums, nested
  objects and arrays, ``$ref``/``$defs``, ``anyOf``, bounds, lengths, formats,
  ``additionalProperties: false`` (and the constraints the SDK moves into descriptions). Values
  come from the prompt where it has them: "Weather in Paris for 5 days?" calls
  ``get_weather`` with ``{"city": "Paris", "days": 5}`` (proper nouns for place-, name- and
  query-like fields, numbers, an enum value the prompt mentions, quoted strings,
  ``field: value``). Of several tools, the one whose name and description match the prompt
  is called; a prompt that asks for several things ("weather in Paris and Tokyo", "the
  weather in Paris and the time in Tokyo") gets parallel calls, one per clause, unless
  ``tool_choice.disable_parallel_tool_use``. ``tool_choice: none`` answers in words.
- *After tool results* (the last user turn holds ``tool_result`` blocks) the answer is text
  that reports each result (a JSON object summarised as ``key value`` pairs) and each
  ``is_error`` result as a failure, with ``stop_reason: "end_turn"``, so a tool loop ends.
- *``output_config.format``* (``{"type": "json_schema", "schema": ...}``) gets a text answer
  that is JSON valid for the schema, values taken from the prompt and from earlier tool
  results, streamed a few characters per delta.
- *Server tools*: with the ``pause_turn`` option and a server tool offered (web search,
  web fetch, code execution), the turn stops after a ``server_tool_use`` with
  ``stop_reason: "pause_turn"``; sending the assistant content back continues it (the
  ``*_tool_result`` block first, then the text, ``end_turn``), as the API does.
- *Programmatic tool calls*: with the ``programmatic`` option, the calls arrive whole inside
  ``message_start`` (each with a ``caller``, the message with a ``container`` and its
  ``stop_reason``), followed only by ``message_stop``.
- *Message threads* (the ``message-threads`` beta the SDK's ``tool_runner`` uses by default):
  ``"thread": {"type": "create"}`` keeps the conversation under the reply's id, and
  ``{"type": "continue", "previous_message_id": ...}`` sends only the new messages (none, to
  resume a paused turn); the answer is the one the whole history would get. An unknown id
  gets 404 ``not_found_error`` with ``details.error_code: "thread_not_found"``.

**Batches.** ``/v1/messages/batches`` (create, list, retrieve, cancel, delete, results as
JSONL) processes each batch on a short clock of its own, with per-request failures, expiry,
cancellation and faults (429 on polling, a results body cut mid-line, unreadable lines),
chosen by the create request's options; see ``_batches.py`` for the list.

**Choosing per request.** Server-wide defaults come from the constructor (``scenario=``,
``options=``, ``pace=``, ``recording=``). A request overrides them with headers (the SDK's
``extra_headers=``)::

    x-emulator-scenario: F03            # F01…F22, or "none" for a normal answer
    x-emulator-options: {"after": 5}    # JSON object of options (below)
    x-emulator-pace: 50                 # tokens per second
    x-emulator-recording: /path/x.sse   # replay this file (must end in .sse)
    x-emulator-key: test-42             # count attempts under this key

or with ``metadata={"user_id": "emulator:scenario=F03&after=5&pace=50"}`` in the body, a
query string whose values are read as JSON where they parse. Headers win over metadata,
metadata over the constructor.

**Attempts.** Requests are grouped into conversations by ``x-emulator-key``, else by a hash
of the body, scenario and options (a retry repeats them). A scenario applies to the first
``times`` attempts of a conversation and later ones get the normal answer, so
``{"times": 2}`` fails twice and then succeeds. F01, F02, F04 and F07 default to
``times=1``; the others to every attempt. `Emulator.reset` forgets the counts.

**Options.** ``after`` (deltas written before a mid-stream fault, default 3), ``variant``,
``times``, ``gate`` (the gate a stall waits on, default ``"default"``; see
`Emulator.release`), ``stall`` (longest stall in seconds, default 3600), ``interval``
(seconds between pings or filler deltas), ``gap`` (seconds between drip writes), ``size`` and
``write_size`` (F15), ``status`` (F02, F22), ``retry_after``/``retry_after_ms`` (F01),
``error_type``/``message`` (F03, F04), ``location`` (F22), and for generated answers ``text``
(the exact text), ``tokens``, ``thinking_tokens``, ``tool`` (the tool to call), ``input``
(the tool input, as is), ``tool_calls`` (exactly N parallel calls, values varied per call),
``preface`` (a text block before a tool call, default true), ``pause_turn`` (``true`` or N:
pause a server-tool turn N times before it finishes) and ``programmatic`` (tool calls whole
in ``message_start``). For example ``x-emulator-options: {"tool_calls": 3}`` or
``metadata={"user_id": "emulator:pause_turn=2"}``.

**Scenarios** (research/reliability.md; `SCENARIOS` lists them):

| code | variants (``variant``) | what the server does |
| --- | --- | --- |
| F01 | retry-after, ms, date, long, spend-limit | 429 ``rate_limit_error`` + retry header |
| F02 | should-retry-false, should-retry-true | ``status`` 529 (or 500, 502, 503, 504: HTML) |
| F03 | | ``event: error`` overloaded after ``after`` deltas, then the body ends |
| F04 | | ``event: error`` as the first event |
| F05 | | RST (``SO_LINGER`` 0) after ``after`` deltas, once the client has them |
| F06 | fin, end | after ``after`` deltas: FIN without the chunked end, or a clean end |
| F07 | hang, close, reset | read the request, never send headers; `Emulator.refused_url` refuses |
| F08 | events, headers | stall after ``after`` deltas (or right after the headers) until released |
| F09 | | after ``after`` deltas only pings, every ``interval`` s (2), until released |
| F10 | mid-line, no-blank | the last event ends inside its data line, or lacks its blank line |
| F11 | continue, end | an event whose JSON stops mid-string, before delta ``after`` + 1 |
| F12 | | an unknown ``content_block_annotation`` event |
| F13 | both, delta, block | a ``foo_delta`` and/or a whole ``foo_block`` |
| F14 | index, double-stop, second-start, after-stop, no-start | a protocol violation |
| F15 | chunks, one (``kind``: text, json) | one 10 MiB (``size``) delta; SHA-256 in a header |
| F16 | | the whole body one byte per write, ``gap`` s (0.01) apart |
| F17 | invalid, truncated, bom | ``\\xff`` or a cut character in a delta's text, or a BOM first |
| F18 | | after ``after`` deltas a filler delta every ``interval`` s until the client leaves |
| F19 | crlf, cr (``split``) | CRLF or CR framing, each CR ending its write |
| F20 | json, html, empty | a 200 that is not an event stream |
| F21 | | 413 with an HTML body (before the key is checked) |
| F22 | 307, 308 | redirect to `Emulator.target_url`, another origin that records what it gets |

Stalls (F07, F08, F09, F18) end when the client disconnects, the gate opens, ``stall``
seconds pass or the emulator stops; then F08, F09 and F18 send the rest of the message, and
F07 closes the connection without a response. `Emulator.wait_stalled` waits until a stall
has begun. For ``"stream": false`` requests, F05, F06, F08 and F16 act on the JSON body (cut
in its middle) and the other stream-only scenarios answer normally. Recording paths are
relative to the emulator's working directory.

**Observing.** `Emulator.stats` counts connections opened, closed and open, how each closed
(``client_fin``, ``client_reset``, ``server_close``, ``server_reset``), and keeps a
`RequestRecord` per request (headers with credentials redacted to ``sk-…wxyz``, attempt
number, scenario, status, outcome). `Stats.wait_for` and `Stats.wait_idle` block on a
condition, so tests wait for a state instead of sleeping.
"""

from __future__ import annotations

try:
    import uvicorn as _uvicorn
except ImportError as _exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "anthropic_rx.emulator needs uvicorn: `pip install anthropic-rx[emulator]`"
    ) from _exc

from ._app import AppSettings as AppSettings
from ._app import EmulatorApp as EmulatorApp
from ._cli import main as main
from ._faults import SCENARIOS as SCENARIOS
from ._faults import Scenario as Scenario
from ._server import Emulator as Emulator
from ._stats import CloseReason as CloseReason
from ._stats import ConnectionRecord as ConnectionRecord
from ._stats import RequestRecord as RequestRecord
from ._stats import Stats as Stats
from ._wire import Event as Event
from ._wire import split_events as split_events

del _uvicorn

__all__ = [
    "SCENARIOS",
    "AppSettings",
    "CloseReason",
    "ConnectionRecord",
    "Emulator",
    "EmulatorApp",
    "Event",
    "RequestRecord",
    "Scenario",
    "Stats",
    "main",
    "split_events",
]
