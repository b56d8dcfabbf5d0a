"""The emulator stands apart: importing it, serving with it and its command line load nothing
of the library (no ``anthropic_rx.*`` module outside ``anthropic_rx.emulator``) and none of
the library's dependencies, so it tests the library as an outsider would and starts fast."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: What a fresh interpreter must not have loaded: the library's own dependencies.
HEAVY = ("reactivex", "pydantic", "pydantic_core", "jiter", "httpx", "anyio")

_REPORT = f"""
import sys
library = sorted(
    m for m in sys.modules
    if m.startswith("anthropic_rx.") and not m.startswith("anthropic_rx.emulator")
)
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print(library, heavy)
"""


def _loaded(code: str) -> str:
    """What a fresh interpreter running *code* has loaded: ``[library] [dependencies]``."""
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_emulator_loads_nothing_of_the_library() -> None:
    assert _loaded("import anthropic_rx.emulator") == "[] []"


def test_serving_a_stream_loads_nothing_of_the_library() -> None:
    code = """
import json, urllib.request
from anthropic_rx.emulator import Emulator

with Emulator() as emu:
    body = {"model": "claude-x", "max_tokens": 16, "stream": True,
            "messages": [{"role": "user", "content": "Hi"}]}
    request = urllib.request.Request(
        emu.base_url + "/v1/messages", data=json.dumps(body).encode(), method="POST",
        headers={"x-api-key": "sk-test", "anthropic-version": "2023-06-01",
                 "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert b"event: message_stop" in answer.read()
    assert emu.stats.wait_idle(timeout=10.0)
"""
    assert _loaded(code) == "[] []"


@pytest.mark.parametrize(
    ("code", "library"),
    [
        ("runpy.run_module('anthropic_rx.emulator', run_name='__main__')", "[]"),
        # `anthropic-rx emulator`: the command line itself and its version, nothing more.
        (
            "from anthropic_rx._cli import main; main(['emulator', '--help'])",
            "['anthropic_rx._cli', 'anthropic_rx._version']",
        ),
    ],
    ids=["python -m anthropic_rx.emulator", "anthropic-rx emulator"],
)
def test_its_command_line_loads_nothing_of_the_library(code: str, library: str) -> None:
    run = f"import runpy, sys\nsys.argv = ['emulator', '--help']\ntry:\n    {code}\nexcept SystemExit:\n    pass\n"
    assert _loaded(run) == f"{library} []"
