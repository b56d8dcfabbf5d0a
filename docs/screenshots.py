"""Regenerate the README's pictures of the chat examples: docs/tk_chat.png, docs/qt_chat.png.

Run from anywhere, with the project's environment::

    .venv/bin/python docs/screenshots.py            # both
    .venv/bin/python docs/screenshots.py tk         # only one

Each example runs as a user would start it, with ``--screenshot PATH``: it plays a canned
conversation against the built-in emulator (a text answer, then a tool call), waits for the
end, saves a PNG of its window and exits. The Tk window runs on a private Xvfb server
(Debian package ``xvfb``) and is read back from it with Pillow; the Qt window renders
offscreen (``QT_QPA_PLATFORM=offscreen``) and saves itself. ``ANTHROPIC_API_KEY`` is
removed from the children's environment, so the pictures never depend on the real API.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
TIMEOUT = 120.0  # seconds for one example to play its script and exit
PACE = "200"  # emulator tokens per second: it really streams, and is done in about a second


def _environment(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "DISPLAY")}
    env.update(changes)
    return env


@contextlib.contextmanager
def xvfb(size: str = "1280x800x24") -> Generator[str, None, None]:
    """Run a private Xvfb server; yield its display name (``":N"``).

    ``-displayfd`` makes Xvfb pick a free display number and write it once it accepts
    clients, so there is no number to guess and nothing to wait for by polling.
    """
    executable = shutil.which("Xvfb")
    if executable is None:
        raise SystemExit("the Tk screenshot needs Xvfb: apt-get install xvfb")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [executable, "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as ready:
            number = ready.readline().strip()  # written once the server is ready
        if not number:
            raise SystemExit(f"Xvfb did not start (exit status {server.wait()})")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _run(script: str, target: Path, env: dict[str, str]) -> None:
    command = [sys.executable, str(EXAMPLES / script), "--pace", PACE, "--screenshot", str(target)]
    target.unlink(missing_ok=True)
    subprocess.run(command, env=env, check=True, timeout=TIMEOUT, cwd=ROOT)
    if not target.is_file():
        raise SystemExit(f"{script} exited without writing {target}")
    print(f"wrote {target.relative_to(ROOT)}")


def tk_screenshot(target: Path = DOCS / "tk_chat.png") -> None:
    """Save a picture of the Tk chat window to *target*."""
    with xvfb() as display:
        _run("tk_chat.py", target, _environment(DISPLAY=display))


def qt_screenshot(target: Path = DOCS / "qt_chat.png") -> None:
    """Save a picture of the Qt chat window to *target*."""
    _run("qt_chat.py", target, _environment(QT_QPA_PLATFORM="offscreen"))


def main(argv: list[str] | None = None) -> None:
    """Regenerate the pictures named on the command line (default: both)."""
    parser = argparse.ArgumentParser(description="Regenerate the chat windows' pictures.")
    parser.add_argument("which", nargs="*", metavar="tk|qt", help="which pictures (default: both)")
    args = parser.parse_args(argv)
    unknown = set(args.which) - {"tk", "qt"}
    if unknown:
        parser.error(f"expected tk or qt, got {', '.join(sorted(unknown))}")
    for which in dict.fromkeys(args.which or ["tk", "qt"]):
        (tk_screenshot if which == "tk" else qt_screenshot)()


if __name__ == "__main__":
    main()
