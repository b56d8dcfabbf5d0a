"""The ``anthropic-rx`` command: the demo runs offline against the emulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from anthropic_rx._cli import main


def run(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(COLUMNS="80", LINES="24", **environ)
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
    assert "before its arguments are" in out  # stream A, its last lines
    assert "without being sent twice." in out  # stream B, side by side
    assert '"city": "Paris"' in out  # the tool input, formed
    assert "7 times 11 times 13" in out  # thinking's answer
    assert out.count("end_turn") == 4  # A, B, D's thinking and D's answer (one stream)
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


def closed_loopback_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_offline_uses_the_emulator_even_with_a_key() -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"
    done = run(
        "demo", "--offline", "--pace", "0", ANTHROPIC_API_KEY="sk-ant-x", ANTHROPIC_BASE_URL=url
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built-in emulator at http://127.0.0.1:" in done.stdout


def test_without_a_network_the_demo_ends_with_a_clean_message() -> None:
    url = f"http://127.0.0.1:{closed_loopback_port()}"
    done = run("demo", ANTHROPIC_API_KEY="sk-ant-x", ANTHROPIC_BASE_URL=url)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    message = " ".join(done.stdout.split())  # as one line, whatever the wrapping
    assert f"The demo could not reach the Anthropic API ({url})" in message
    assert "Connection refused" in message or "connect" in message
    assert "anthropic-rx demo --offline" in message
    assert "sk-ant-x" not in done.stdout + done.stderr


def test_demo_help_names_the_offline_flag() -> None:
    assert "--offline" in run("demo", "--help").stdout
