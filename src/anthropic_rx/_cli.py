"""``anthropic-rx``: the command line (``demo``, ``emulator``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__

__all__ = ["main"]

_DEMO_HELP = """\
Run four streams at once and watch them live: two text answers merged side by side (drawn
per frame with coalesce_text), a tool call whose input forms as it streams (on_tool_input),
and extended thinking with its answer (thinking, text_only); then every stream's stop
reason and usage (final_message).

Without ANTHROPIC_API_KEY, or with --offline, it starts the built-in emulator (a local
Messages API on 127.0.0.1): no key, no network. With ANTHROPIC_API_KEY set it runs the same
pipelines against the real API (ANTHROPIC_BASE_URL overrides the address). The view fits
the terminal, from 80x24 up. Ctrl-C aborts the streams and closes their connections.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anthropic-rx",
        description="anthropic_rx: Anthropic Messages API streams as ReactiveX Observables.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="watch four streams live (the emulator without a key, the API with one)",
        description=_DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--model", help="the model to ask (default: claude-sonnet-4-5)")
    demo.add_argument(
        "--pace",
        type=float,
        default=40.0,
        help="emulator output tokens per second (default: %(default)s; 0: as fast as it can)",
    )
    demo.add_argument(
        "--offline",
        action="store_true",
        help="use the built-in emulator even when ANTHROPIC_API_KEY is set (no network)",
    )
    commands.add_parser(
        "emulator",
        help="serve the local Messages API (see: anthropic-rx emulator --help)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:
        from .emulator import main as emulator_main

        return emulator_main(args_list[1:])
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.command == "demo":
        try:
            from ._demo import options_from_env, run_demo
        except ImportError as exc:  # rich is the demo extra
            parser.exit(2, f"the demo needs: pip install 'anthropic-rx[demo]' ({exc})\n")
        return run_demo(options_from_env(args.model, args.pace, offline=args.offline))
    parser.print_help()
    return 0
