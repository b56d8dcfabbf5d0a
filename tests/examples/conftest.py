"""The example apps' tests import them: the examples folder goes on ``sys.path``.

``examples/`` is not a package (its scripts run as ``python examples/tk_chat.py``), so the
tests import its modules by putting the folder on ``sys.path``, as running a script does. Their
``client`` fixture is the root conftest's.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))
