"""The examples of the package docstring run as written."""

from __future__ import annotations

import re
from typing import Any

import anthropic_rx.testing


def test_the_package_docstring_example_is_a_passing_test() -> None:
    doc = anthropic_rx.testing.__doc__ or ""
    [code] = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, "anthropic_rx.testing docstring", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 1
    tests[0]()
