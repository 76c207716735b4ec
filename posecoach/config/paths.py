"""Where the files that ship with posecoach are: installed inside the package, or in the
source tree beside it."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped_dir(installed: str, source_tree: str) -> Path:
    """The folder `installed` inside the installed package, else the source tree's
    `source_tree` (a checkout installed in editable mode)."""
    inside = PACKAGE_DIR / installed
    return inside if inside.is_dir() else PACKAGE_DIR.parent / source_tree
