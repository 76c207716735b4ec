"""Signal handlers of the command: SIGTERM stopping a command as Ctrl-C does, and handlers set
for the duration of a block (the main thread only)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from posecoach.config.errors import Terminated


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM handler: raise `errors.Terminated`, a KeyboardInterrupt."""
    raise Terminated


@contextlib.contextmanager
def sigterm_stops() -> Iterator[None]:
    """SIGTERM stops the command as Ctrl-C does: `errors.Terminated`, a KeyboardInterrupt, is
    raised in the main thread, so every Ctrl-C path saves what it has. Not where signals
    cannot be set (another thread) or SIGTERM is ignored (the parent wanted it so)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def handlers(chosen: dict[signal.Signals, Any]) -> Iterator[None]:
    """Signal handlers for the duration (the main thread only: elsewhere none can be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in chosen.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
