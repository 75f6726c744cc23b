"""``python -m tests.emulator.cs``: see ``cli`` (kept apart so that importing the package never
imports this module, which ``runpy`` would warn about)."""

import sys

from .cli import main

sys.exit(main())
