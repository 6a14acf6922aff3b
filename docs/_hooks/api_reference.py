"""MkDocs hook: lay the package out as it is installed, so that griffe can read it.

The distribution maps ``asgiws`` to ``impl/`` and ``asgiws.spec`` to ``spec/``
(setuptools' ``package-dir``). griffe finds packages by folder name, so it finds
neither in the checkout, nor through setuptools' editable finder. Before the
build, this hook mirrors the wheel's layout with symbolic links under
``build/docs-api/asgiws`` (the ``paths`` of the mkdocstrings handler in
``mkdocs.yml``), the same way ``tests/test_quality.py`` does for mypy.

The API reference is then read statically from the checkout itself, whether
asgiws is installed in editable mode, installed from a wheel, or not at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

# Keep in step with `plugins.mkdocstrings.handlers.python.paths` in mkdocs.yml.
LAYOUT = Path("build", "docs-api")


def _mirror(root: Path) -> Path:
    target = root / LAYOUT
    package = target / "asgiws"
    if target.exists():
        shutil.rmtree(target)
    package.mkdir(parents=True)
    for source in (root / "impl").iterdir():
        if source.name != "__pycache__":
            (package / source.name).symlink_to(source.resolve(), target_is_directory=source.is_dir())
    (package / "spec").symlink_to((root / "spec").resolve(), target_is_directory=True)
    return target


@event_priority(100)
def on_config(config: Any) -> None:
    _mirror(Path(config.config_file_path).resolve().parent)
