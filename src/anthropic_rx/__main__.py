"""``python -m anthropic_rx``: the same as the ``anthropic-rx`` command."""

from __future__ import annotations

import sys

from ._cli import main

sys.exit(main())
