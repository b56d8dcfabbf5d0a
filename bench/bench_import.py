"""Import times: what ``import anthropic_rx`` and its doors cost in a fresh interpreter.

Run it as ``python bench/bench_import.py`` (``--repeat 7`` by default; ``--src DIR`` puts a
checkout's ``src`` first on the path). Each statement runs in a new interpreter
(``python -c``), timed by ``time.perf_counter`` around the statement alone, so the
interpreter's own start-up is left out; the table shows the best of the runs and the modules
of the library and of its heavy dependencies the statement left in ``sys.modules``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["STATEMENTS", "main", "measure"]

#: What a user types, in the order of the table.
STATEMENTS = [
    "import anthropic_rx",
    "import anthropic_rx.emulator",
    "from anthropic_rx import Client",
    "import anthropic_rx as arx; arx.from_bytes",
]

_HEAVY = ("reactivex", "httpx", "pydantic", "jiter", "anyio")

_PROBE = """\
import sys, time, json
start = time.perf_counter()
exec(compile({statement!r}, "<bench>", "exec"))
took = time.perf_counter() - start
mods = [m for m in sys.modules if m == "anthropic_rx" or m.startswith("anthropic_rx.")]
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps({{"seconds": took, "modules": len(mods), "heavy": heavy}}))
"""


def measure(statement: str, repeat: int, src: Path | None) -> dict[str, Any]:
    """The best of *repeat* fresh-interpreter runs of *statement*: ``seconds``, ``modules``
    (how many ``anthropic_rx`` modules it loaded) and ``heavy`` (which dependencies)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    code = _PROBE.format(statement=statement, heavy=_HEAVY)
    runs: list[dict[str, Any]] = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return min(runs, key=lambda r: float(r["seconds"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import times in a fresh interpreter.")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", type=Path, help="a checkout's src folder, first on the path")
    args = parser.parse_args(argv)
    print("| statement | best of", args.repeat, "| anthropic_rx modules | heavy dependencies |")
    print("| --- | ---: | ---: | --- |")
    for statement in STATEMENTS:
        best = measure(statement, args.repeat, args.src)
        heavy = ", ".join(best["heavy"]) or "none"
        print(f"| `{statement}` | {best['seconds'] * 1000:.0f} ms | {best['modules']} | {heavy} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
