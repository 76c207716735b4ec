"""Where the files that ship with posecoach are: installed inside the package, or in the
source tree beside it; and the per-user cache folder, for files posecoach can make again."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped_dir(installed: str, source_tree: str) -> Path:
    """The folder `installed` inside the installed package, else the source tree's
    `source_tree` (a checkout installed in editable mode)."""
    inside = PACKAGE_DIR / installed
    return inside if inside.is_dir() else PACKAGE_DIR.parent / source_tree


def user_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user cache folder, whether or not it exists: `$XDG_CACHE_HOME/posecoach`, else
    the platform's per-user cache folder (`~/.cache`, `~/Library/Caches` on macOS,
    `%LOCALAPPDATA%` on Windows) + `posecoach`. `environ` defaults to the process environment."""
    env = os.environ if environ is None else environ
    cache = env.get("XDG_CACHE_HOME", "")
    if cache and Path(cache).is_absolute():  # the XDG spec ignores a relative one
        base = Path(cache)
    elif sys.platform == "win32":
        local = env.get("LOCALAPPDATA", "")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path.home() / ".cache"
    return base / "posecoach"
