"""Replay of several files at once, in a worker process: each file coached as a single
replay coaches it (`coach_one.coach_source`), its progress and posecoach's log lines sent to
the parent over a queue, and a stop the parent asks for (Ctrl-C, SIGTERM) looked at after
every frame.

A SIGTERM to a worker itself ends it at once: the pool terminates its workers with SIGTERM
when one of them dies, and a worker that went on would hang it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any

from posecoach.cli.batch_jobs import FileResult
from posecoach.cli.coach_one import CoachOptions, coach_source
from posecoach.cli.signal_handlers import handlers
from posecoach.config.errors import PosecoachError, Terminated

# How often a worker sends its frame count (the bars are redrawn ten times a second).
PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Frames:
    """A worker's progress on a file: `done` frames analysed of `total` (0: unknown)."""

    index: int
    done: int
    total: int


@dataclass(frozen=True)
class LogLine:
    """A log line of posecoach's from a worker, printed by the parent."""

    index: int
    level: str
    message: str


_channel: Any = None  # the queue to the parent (a worker's, set when it starts)
_stop: Any = None  # a shared int: 0, or the signal (SIGINT, SIGTERM) that stopped the batch
_current = -1  # the file the worker is coaching


def _stopping() -> KeyboardInterrupt | None:
    """What to raise in a worker when the parent has stopped the batch, else None."""
    stopped_by = 0 if _stop is None else _stop.value
    if not stopped_by:
        return None
    return Terminated() if stopped_by == signal.SIGTERM else KeyboardInterrupt()


class _ChannelHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a log line is never worth a file
            _channel.put(LogLine(_current, record.levelname.lower(), record.getMessage()))


def start_worker(channel: Any, stop: Any, debug: bool) -> None:
    """Set up a worker process: the queue to the parent, the stop event, posecoach's log
    lines sent to the parent. Between files, Ctrl-C is the parent's to handle."""
    global _channel, _stop
    _channel, _stop = channel, stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = logging.getLogger("posecoach")
    logger.handlers[:] = [_ChannelHandler()]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def coach_file(index: int, options: CoachOptions) -> FileResult:
    """Coach one file in a worker process, as a single replay does, sending its progress."""
    global _current
    _current = index
    if _stopping() is not None:
        return FileResult(index, started=False)
    started = time.perf_counter()
    wall_started = time.time()
    last_sent = -math.inf

    def progress(done: int, total: int) -> None:
        nonlocal last_sent
        stop = _stopping()
        if stop is not None:
            raise stop  # the pipeline saves the report and video so far
        now = time.perf_counter()
        if now - last_sent >= PROGRESS_INTERVAL_S and _channel is not None:
            last_sent = now
            _channel.put(Frames(index, done, total))

    error: str | None = None
    detail: str | None = None
    try:
        with _interruptible():
            pose = options.pose()
            coached = coach_source(options, pose, progress=progress)
        return FileResult(index, coached=coached, elapsed_s=time.perf_counter() - started)
    except KeyboardInterrupt:  # before the session began (in it, it ends the session)
        return FileResult(index, started=False)
    except PosecoachError as problem:
        error = str(problem)
    except Exception as problem:  # a bug: the other files go on; --debug shows where
        error = f"unexpected error: {type(problem).__name__}: {problem}"
        detail = traceback.format_exc()
    report = options.report
    written = report is not None and report.exists() and report.stat().st_mtime >= wall_started
    return FileResult(
        index,
        error=error.splitlines()[0] if error else "unknown error",
        elapsed_s=time.perf_counter() - started,
        report_path=report if written else None,
        detail=detail,
    )


def _interruptible() -> contextlib.AbstractContextManager[None]:
    """While a worker coaches a file, Ctrl-C ends it as it ends a single replay: the pipeline
    writes the report and video so far. (SIGTERM ends a worker as it ends a single replay,
    at once: the pool must be able to terminate its workers.)"""
    return handlers({signal.SIGINT: signal.default_int_handler})
