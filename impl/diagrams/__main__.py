"""``python -m asgiws.diagrams [DIR]``: regenerate the repository's ``diagrams/`` folder."""

from __future__ import annotations

import sys
from pathlib import Path

from . import write_all

directory = Path(sys.argv[1] if len(sys.argv) > 1 else "diagrams")
for path in write_all(directory):
    print(path)
