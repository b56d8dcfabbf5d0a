"""The Qt example on a real X display (Qt's xcb platform, under Xvfb), not only offscreen.

Qt's xcb platform plugin loads more Debian libraries than the offscreen one
(libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, …: `.ci/system-deps` installs them), and
when one is missing Qt names only the first. The example runs in a process of its own,
since a process has one QApplication and one platform (the other Qt tests are offscreen).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="the Qt window tests need the qt extra")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def missing_libraries() -> list[str]:
    """The libraries the xcb plugin needs that the dynamic loader cannot find (by ldd)."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return [f"{plugin} itself"]
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    return sorted({line.split()[0] for line in out.stdout.splitlines() if "not found" in line})


def test_the_qt_example_starts_on_xcb_under_xvfb(display: str, tmp_path: Path) -> None:
    shot = tmp_path / "qt_chat.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "QT_"))}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "qt_chat.py"), "--pace", "0", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (
        f"qt_chat.py on xcb exited with {done.returncode}; libraries missing for Qt's xcb "
        f"plugin: {missing_libraries() or 'none'} (.ci/system-deps installs them)\n{done.stderr}"
    )
    assert "could not load the Qt platform plugin" not in done.stderr.lower()
    assert shot.stat().st_size > 10_000  # a window was drawn, and saved
