"""The ```python blocks of a Markdown file, with their line numbers and fragment marks.

A block meant as a fragment (it names things a reader's own program has: a window, a
button) says so, and is skipped with its reason shown:

    <!-- fragment: the widgets come from your own window -->
    ```python
    ...

or with a first line ``# fragment: reason`` inside the block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CodeBlock", "python_blocks"]

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
_HTML_MARK = re.compile(r"^\s*<!--\s*fragment\s*:?\s*(?P<reason>.*?)\s*-->\s*$")
_CODE_MARK = re.compile(r"^\s*#\s*fragment\b\s*:?\s*(?P<reason>.*)$")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced ```python block: its code, and where it is."""

    path: Path
    line: int  # the line of the block's first code line (1-based), for messages
    code: str
    fragment: str | None  # the reason, when the block is marked as a fragment

    @property
    def where(self) -> str:
        """``README.md:42``: where the block starts."""
        return f"{self.path.name}:{self.line}"

    def numbered(self) -> str:
        """The code with README line numbers, for a failure message."""
        return "\n".join(
            f"{self.line + i:5d} | {text}" for i, text in enumerate(self.code.splitlines())
        )

    def padded(self) -> str:
        """The code after blank lines, so that its line numbers are the file's."""
        return "\n" * (self.line - 1) + self.code


def python_blocks(path: Path) -> list[CodeBlock]:
    """Return every ```python (or ```py) block of the Markdown file *path*, in order.

    Raises:
        ValueError: a fence left open at the end of the file (it would hide every block
            after it).
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, info = match["fence"], match["info"].lower()
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(match["indent"]) :])
            i += 1
        if i == len(lines):
            raise ValueError(f"{path.name}:{start + 1}: a code fence is never closed")
        i += 1
        if info not in ("python", "py", "python3"):
            continue
        blocks.append(
            CodeBlock(path, start + 2, "\n".join(body) + "\n", _fragment(lines, start, body))
        )
    return blocks


def _fragment(lines: list[str], fence_index: int, body: list[str]) -> str | None:
    if body:
        mark = _CODE_MARK.match(body[0])
        if mark:
            return mark["reason"] or "marked as a fragment"
    j = fence_index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0:
        mark = _HTML_MARK.match(lines[j])
        if mark:
            return mark["reason"] or "marked as a fragment"
    return None
