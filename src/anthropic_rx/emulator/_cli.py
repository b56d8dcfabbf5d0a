"""``anthropic-rx emulator`` (``python -m anthropic_rx.emulator``): serve it until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ._faults import SCENARIOS

if TYPE_CHECKING:
    from ._server import Emulator

__all__ = ["main"]

_EPILOG = """\
choosing per request (headers; the official SDK sends them with extra_headers=...):
  x-emulator-scenario: F03          a scenario, or "none"
  x-emulator-options: {{"after": 5}}  options as a JSON object
  x-emulator-pace: 50               output tokens per second
  x-emulator-recording: FILE.sse    replay this recording
  x-emulator-key: NAME              count attempts under NAME (default: a hash of the body)
or in the body: "metadata": {{"user_id": "emulator:scenario=F03&after=5"}}

conversation options (generated answers):
  {{"tool_calls": 3}}       three parallel tool calls
  {{"tool": "name", "input": {{...}}}}  call this tool with this input
  {{"pause_turn": true}}    a server-tool turn stops with pause_turn (N: pause N times)
  {{"programmatic": true}}  tool calls whole inside message_start
  {{"preface": false}}      no text before a tool call

scenarios:
{scenarios}

example:
  anthropic-rx emulator --port 8080 --pace 40
  curl -N http://127.0.0.1:8080/v1/messages -H 'x-api-key: sk-test' \\
       -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \\
       -d '{{"model": "claude-x", "max_tokens": 64, "stream": true,
            "messages": [{{"role": "user", "content": "Hello"}}]}}'
"""


def _version() -> str:
    # From the installed distribution: the emulator imports nothing from the library.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("anthropic-rx")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    scenarios = "\n".join(f"  {s.code}  {s.title}" for s in SCENARIOS.values())
    parser = argparse.ArgumentParser(
        prog="anthropic-rx emulator",
        description=(
            "Serve a local Anthropic Messages API (POST /v1/messages, streaming or not) that "
            "answers with generated messages or a recording, and can inject the faults "
            "F01-F22 of research/reliability.md. Point a client at the printed base URL."
        ),
        epilog=_EPILOG.format(scenarios=scenarios),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--target-port",
        type=int,
        default=0,
        help="port of the redirect target origin used by F22 (default: free)",
    )
    parser.add_argument(
        "--recording", metavar="FILE", help="replay this .sse recording instead of generating"
    )
    parser.add_argument(
        "--scenario", metavar="CODE", help="fault scenario for every request (F01-F22)"
    )
    parser.add_argument(
        "--options",
        metavar="JSON",
        default="{}",
        help="scenario and generation options, e.g. '{\"after\": 5}'",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="output tokens per second; 0 = as fast as possible (default)",
    )
    parser.add_argument(
        "--api-key", metavar="KEY", help="accept only this key (default: any non-empty key)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed mixed into generated answers (default: 0)"
    )
    parser.add_argument(
        "--no-padding", action="store_true", help="do not pad data lines with spaces"
    )
    parser.add_argument(
        "--no-version-check",
        action="store_true",
        help="accept requests without an anthropic-version header",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn's log level (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; return the exit status.

    Args:
        argv: the arguments, without the program name; ``None`` reads ``sys.argv``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        options = json.loads(args.options)
    except ValueError as exc:
        parser.error(f"--options is not JSON: {exc}")
    if not isinstance(options, dict):
        parser.error("--options must be a JSON object")
    from ._server import Emulator  # uvicorn is only needed once we really serve

    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            target_port=args.target_port,
            recording=args.recording,
            scenario=args.scenario,
            options=cast("dict[str, Any]", options),
            pace=args.pace,
            api_key=args.api_key,
            seed=args.seed,
            padding=not args.no_padding,
            require_version=not args.no_version_check,
            log_level=args.log_level,
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        emulator.serve_forever(
            announce=lambda: print(_banner(emulator), file=sys.stderr, flush=True)
        )
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after a clean shutdown; for a CLI that is success
    return 0


def _banner(emulator: Emulator) -> str:
    return (
        f"anthropic_rx emulator: base_url {emulator.base_url}\n"
        f"  redirect target (F22): {emulator.target_url}\n"
        "  Ctrl-C to stop"
    )
