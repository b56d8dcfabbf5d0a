"""The import rule (AGENTS.md, docs/ARCHITECTURE.md): each layer talks to another by its door.

A module may import anything from its own package. From another package of the library it
imports only from the package itself (its ``__init__``) or from a top-level module
(``anthropic_rx._sse``, ``anthropic_rx.events``…), and only names without a leading
underscore: never ``from ..client._retry import …`` nor ``from ..events import _x``. The
emulator stands apart: it imports nothing from the rest of the library.

The layers themselves (imports only point down) are the reviewers' to keep; this walks the
syntax of every module under ``src/``, so it needs no import and cannot be fooled by laziness.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "anthropic_rx"
MODULES = sorted(PACKAGE.rglob("*.py"))

#: Files that read a private attribute of a peer class of their own package, and why.
PEER_PRIVATE_READS = {
    "notebook/_timeline.py": "a timeline's streams report to it",
    "notebook/_views.py": "a comparison drives its views' watches and painters",
}


def _parts(path: Path, root: Path) -> tuple[str, ...]:
    """The dotted parts of *path* under *root* (a package is its ``__init__``)."""
    parts = path.relative_to(root).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _target(node: ast.ImportFrom, here: tuple[str, ...], is_package: bool) -> tuple[str, ...]:
    """The parts under ``anthropic_rx`` of what *node* imports from, or ``("<outside>",)``."""
    if node.level == 0:
        name = node.module or ""
        if name != "anthropic_rx" and not name.startswith("anthropic_rx."):
            return ("<outside>",)
        return tuple(name.split(".")[1:])
    base = here if is_package else here[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return base + tuple((node.module or "").split(".")) if node.module else base


def _violations(path: Path, root: Path = PACKAGE) -> list[str]:
    """What in *path* (a module under *root*, the ``anthropic_rx`` folder) breaks the rule."""
    here = _parts(path, root)
    is_package = path.name == "__init__.py"
    package = here[0] if here else ""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            if package == "emulator":
                found += [
                    f"line {node.lineno}: the emulator imports {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("anthropic_rx.")
                ]
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        target = _target(node, here, is_package)
        if target == ("<outside>",):
            continue
        names = [alias.name for alias in node.names]
        where = ".".join(("anthropic_rx", *target))
        if package == "emulator":
            if not target or target[0] != "emulator":
                found.append(f"line {node.lineno}: the emulator imports {where}")
            continue
        if not here or (target and target[0] == package):
            continue  # the facade, or its own package
        deep = target[1:]  # another package's inner module (the root's public names are fine)
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if deep:
            found.append(f"line {node.lineno}: imports from {where}, inside another package")
        elif private:
            found.append(f"line {node.lineno}: imports private {private} from {where}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_public_names_through_another_package_s_door(path: Path) -> None:
    assert _violations(path) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_reaches_into_a_private_attribute_past_its_package(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(PACKAGE))
    if name in PEER_PRIVATE_READS:
        return
    lines = [
        i
        for i, line in enumerate(text.splitlines(), 1)
        if "reportPrivateUsage" in line and "pyright: ignore" in line
    ]
    assert lines == [], f"{name} silences pyright's private-usage check on lines {lines}"


def test_the_rule_catches_the_side_doors_it_is_for(tmp_path: Path) -> None:
    def check(relative: str, source: str) -> list[str]:
        path = tmp_path / "anthropic_rx" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        return _violations(path, tmp_path / "anthropic_rx")

    assert check("concurrency/_x.py", "from ..client._retry import backoff\n")
    assert check("sources/_x.py", "from ..events import _parse_fields\n")
    assert check("emulator/_x.py", "from ..events import parse_event\n")
    assert check("emulator/_x.py", "import anthropic_rx.events\n")
    assert check("notebook/_x.py", "from anthropic_rx.operators._shared import folded\n")
    assert not check("concurrency/_x.py", "from ..client import backoff\n")
    assert not check("concurrency/_x.py", "from ._merge import _private\n")
    assert not check("testing/_x.py", "from . import _wire\n")
    assert not check("sources/_x.py", "from .._steps import Pipeline\n")
    assert not check("emulator/_x.py", "from ._wire import frame\n")
