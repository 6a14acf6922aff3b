"""``python -m asgiws``: the same as the ``asgiws`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
