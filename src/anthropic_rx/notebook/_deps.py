"""The optional packages of the notebook helpers, imported only when a helper needs them.

`Timeline.record` and the views' state need nothing beyond anthropic_rx; showing a view needs
IPython and drawing a timeline needs matplotlib, both in the ``notebook`` extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["EXTRA", "require"]

EXTRA = "pip install 'anthropic-rx[notebook]'"


def require(module: str, what: str) -> ModuleType:
    """Import *module*, or raise an `ImportError` saying that *what* needs the extra.

    Example:
        >>> pyplot = require("matplotlib.pyplot", "Timeline.plot")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.partition(".")[0]
        raise ImportError(f"{what} needs {package}: `{EXTRA}`") from exc
