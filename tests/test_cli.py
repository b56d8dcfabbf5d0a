"""The ``anthropic-rx`` command: the demo runs offline against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys

from anthropic_rx._cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["COLUMNS"] = "100"
    return subprocess.run(
        [sys.executable, "-m", "anthropic_rx", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_demo_runs_without_a_key_against_the_built_in_emulator() -> None:
    done = run("demo", "--pace", "0")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "built-in emulator at http://127.0.0.1:" in out
    assert "Streaming shows the first words" in out  # stream A
    assert "A pipeline turns a stream of events" in out  # stream B, side by side
    assert '"city": "Paris"' in out  # the tool input, formed
    assert "7 times 11 times 13" in out  # thinking's answer
    assert out.count("end_turn") == 3
    assert "tool_use" in out


def test_demo_help_explains_both_modes() -> None:
    done = run("demo", "--help")
    assert done.returncode == 0
    assert "ANTHROPIC_API_KEY" in done.stdout
    assert "emulator" in done.stdout


def test_no_command_prints_the_help(capsys: object) -> None:
    assert main([]) == 0


def test_the_emulator_command_delegates_to_the_emulators_cli() -> None:
    done = run("emulator", "--help")
    assert done.returncode == 0
    assert "F22" in done.stdout


def test_both_commands_say_their_version() -> None:
    from anthropic_rx import __version__

    assert run("--version").stdout.strip() == f"anthropic-rx {__version__}"
    done = run("emulator", "--version")
    assert done.returncode == 0 and done.stdout.startswith("anthropic-rx emulator ")


def test_the_emulators_usage_line_names_the_command_a_user_types() -> None:
    assert run("emulator", "--help").stdout.startswith("usage: anthropic-rx emulator ")
