"""Ctrl-C and SIGTERM around threaded work: noted when they arrive, acted on at safe points.

A signal raises in the main thread wherever it happens to be, which may be half-way through
starting a reader thread or releasing a capture another thread still reads. While threads are
running, `StopRequest.handling()` turns both signals into a note that the loop reads (`check`)
between frames and while it waits, so the work always stops from a known place.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from posecoach.config.errors import Terminated

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class StopRequest:
    """Ctrl-C or SIGTERM received during `handling()`, raised by the next `check()` as a
    KeyboardInterrupt (SIGTERM: errors.Terminated)."""

    def __init__(self) -> None:
        self.pending: KeyboardInterrupt | None = None

    def check(self) -> None:
        if self.pending is not None:
            raise self.pending

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    @contextlib.contextmanager
    def handling(self) -> Iterator[StopRequest]:
        """Note the signals instead of raising them, for the duration (main thread only;
        a signal the process ignores stays ignored)."""
        if not _in_main_thread():
            yield self
            return
        previous = {}
        for signum in _SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, self._note)
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM for the duration (main thread only; elsewhere signals can't
    be set)."""
    if not _in_main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
