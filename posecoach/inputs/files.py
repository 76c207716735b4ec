"""Files written whole or not at all: a report, recording or history entry is never left
half-written, even when the disk fills or the person presses Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_output(path: str | Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write that replaces `path` only when the block ends without error: it is a
    temporary file beside `path`, synced and renamed over it, so `path` is never half-written.
    Text files are UTF-8 with newlines as written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; an output is an ordinary file
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        newline = None if binary else ""
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, data: dict[str, Any], compact: bool = False) -> Path:
    """Write JSON to a temporary file beside `path`, then rename: never a half-written file.

    `compact` leaves out the indentation (for large machine-read files)."""
    with atomic_output(path) as stream:
        if compact:
            json.dump(data, stream, separators=(",", ":"))
        else:
            json.dump(data, stream, indent=2)
        stream.write("\n")
    return Path(path)
