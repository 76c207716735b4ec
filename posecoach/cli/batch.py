"""`posecoach replay` of several files at once: which files, a worker process per file at a
time, a progress bar per file, and a summary table.

Each worker coaches one file through the code a single replay runs (`cli._coach_source`), so
a file's report is the one `posecoach replay FILE` writes. While it runs, the worker sends
how many frames it has analysed over a queue; the parent draws the bars (or, when stderr is
not a terminal, prints a line per file as it finishes) and, at the end, the table.

Ctrl-C in a terminal reaches the parent and every worker: each worker ends its file as a
single replay does (the report and video so far are written, marked incomplete), and the
parent starts no other file. A SIGTERM to the parent, or a Ctrl-C only the parent gets, is
passed on through a shared value the workers look at after every frame, to the same end. A
SIGTERM to a worker itself ends it at once: the pool terminates its workers with SIGTERM
when one of them dies, and a worker that went on would hang it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from posecoach.cli import main as cli
from posecoach.coaching.posefile import PoseSpec
from posecoach.config.errors import PosecoachError, Terminated, stop_reason
from posecoach.inputs.sources import IMAGE_SUFFIXES, _natural_key
from posecoach.model.blazepose.models import WORKER_THREADS
from posecoach.model.recording import RECORDING_SUFFIX, is_recording

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")
# How often a worker sends its frame count (the bars are redrawn ten times a second).
PROGRESS_INTERVAL_S = 0.1
# Workers are started fresh, not forked from a parent that may hold the model's threads.
# (A forkserver with posecoach and the model runtime preloaded started two workers 1 s sooner
# here, but its workers fork from a process holding a native thread already, and inherit
# its environment from when it started, not the parent's now.)
START_METHOD = "spawn"
LABEL_WIDTH = 40  # the widest file name beside a bar

# The exit codes a file can end with, the most serious first: the batch exits with the most
# serious one among its files.
SERIOUSNESS = (cli.EXIT_TERMINATED, cli.EXIT_INTERRUPTED, cli.EXIT_ERROR, cli.EXIT_NOBODY)

# Per output option: the suffixes that name a file of its kind (refused as a folder name).
OUTPUT_KINDS = {
    "report": (".json",),
    "out": VIDEO_SUFFIXES + IMAGE_SUFFIXES,
    "signals": (".csv",),
    "plot": (".png",),
    "record": (RECORDING_SUFFIX,),
}


# --- Which files -----------------------------------------------------------------------------


def batch_files(paths: Sequence[Path]) -> list[Path] | None:
    """The files `replay` coaches each on its own, or None when `paths` is one ordinary source
    (a file, or a folder of images coached as stills).

    A folder gives the videos and recordings in it (natural name order; not its subfolders,
    not hidden files); among several paths, a folder of images only is one source of stills.
    The same file named twice is coached once. PosecoachError for a missing path or a folder
    with nothing to coach.
    """
    if len(paths) == 1 and not paths[0].is_dir():
        return None  # a file (or a missing one: the single replay says so)
    if len(paths) == 1 and not _coachable_files(paths[0]) and _has_images(paths[0]):
        return None
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = _coachable_files(path)
            if not found and not _has_images(path):
                raise PosecoachError(
                    f"nothing to coach in {path}: expecting videos "
                    f"({' '.join(VIDEO_SUFFIXES)}), landmark recordings ({RECORDING_SUFFIX}) "
                    f"or images ({' '.join(IMAGE_SUFFIXES)}); subfolders are not searched"
                )
            files += found or [path]
        elif path.exists():
            files.append(path)
        else:
            raise PosecoachError(f"no such file or folder: {path} (check the path)")
    seen: set[Path] = set()
    unique = []
    for path in files:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def _coachable_files(folder: Path) -> list[Path]:
    """The videos and recordings in `folder`, in natural name order (2 before 10)."""
    found = [
        path
        for path in folder.iterdir()
        if not path.name.startswith(".")
        and path.is_file()
        and (path.suffix.lower() in VIDEO_SUFFIXES or is_recording(path))
    ]
    return sorted(found, key=_natural_key)


def _has_images(folder: Path) -> bool:
    return any(path.suffix.lower() in IMAGE_SUFFIXES for path in folder.iterdir())


def output_names(files: Sequence[Path]) -> list[str]:
    """Each file's name for its outputs: its name without the suffix, with -2, -3, ... after a
    name an earlier file has (two clip.mp4 in two folders, or clip.mp4 and clip.pcrec, would
    otherwise write the same report). Compared regardless of case, as some disks do."""
    stems = {path.stem.casefold() for path in files}
    used: set[str] = set()
    names = []
    for path in files:
        name = path.stem
        number = 2
        while name.casefold() in used:
            name = f"{path.stem}-{number}"
            number += 1
            if name.casefold() in stems:  # another file's own name: leave it to that file
                name = path.stem
        used.add(name.casefold())
        names.append(name)
    return names


def _labels(files: Sequence[Path]) -> list[str]:
    """Each file's name beside its bar: the file name, or the path when two share a name."""
    counts: dict[str, int] = {}
    for path in files:
        counts[path.name.casefold()] = counts.get(path.name.casefold(), 0) + 1
    return [path.name if counts[path.name.casefold()] == 1 else str(path) for path in files]


# --- Each file's arguments -------------------------------------------------------------------


def _output_folders(args: argparse.Namespace) -> dict[str, Path | None]:
    """--report, --out, --signals, --plot and --record as the folders they name with several
    files, each checked (and created) before any file is coached."""
    folders: dict[str, Path | None] = {}
    for option, suffixes in OUTPUT_KINDS.items():
        folder: Path | None = vars(args).get(option)
        folders[option] = folder
        if folder is None:
            continue
        given = f"--{option} {folder}: coaching several files, --{option} names a folder"
        if folder.exists() and not folder.is_dir():
            raise PosecoachError(f"{given}, and {folder} is a file: give a folder")
        if not folder.exists() and folder.suffix.lower() in suffixes:
            raise PosecoachError(
                f"{given} for each file's NAME_POSE{suffixes[0]}: give a folder, not a file name"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PosecoachError(
                f"{given}, and it cannot be created ({error.strerror or error})"
            ) from error
    return folders


def _file_args(
    args: argparse.Namespace,
    path: Path,
    name: str,
    pose: PoseSpec,
    folders: dict[str, Any],
    threads: int | None = None,
) -> argparse.Namespace:
    """The arguments of a single replay of `path`, its outputs named `name`_POSE in the
    folders (the report and a video's annotated video in posecoach_out by default)."""
    stem = f"{name}_{pose.id}"

    def inside(option: str, suffix: str) -> Path | None:
        folder = folders[option]
        return None if folder is None else folder / f"{stem}{suffix}"

    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        video = inside("out", ".png")  # photos: annotated photos when asked for, as alone
    else:
        video = (folders["out"] or cli.DEFAULT_OUT_DIR) / f"{stem}.mp4"
    return argparse.Namespace(
        **{
            **vars(args),
            "sources": [path],
            "source": path,
            "report": (folders["report"] or cli.DEFAULT_OUT_DIR) / f"{stem}.json",
            "out": video,
            "signals": inside("signals", ".csv"),
            "plot": inside("plot", ".png"),
            "record": inside("record", RECORDING_SUFFIX),
            "no_window": True,  # no windows from worker processes
            "threads": threads,
        }
    )


def _check_inputs_kept(files: Sequence[Path], jobs: Sequence[argparse.Namespace]) -> None:
    """Refuse a run whose outputs would overwrite one of the files it reads."""
    inputs = {path.resolve(): path for path in files}
    for job in jobs:
        for option in OUTPUT_KINDS:
            output = vars(job)[option]
            if output is not None and output.resolve() in inputs:
                raise PosecoachError(
                    f"the {option} for {job.source} would overwrite {inputs[output.resolve()]}, "
                    f"which is coached too: give --{option} another folder"
                )


# --- What a file gave ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileResult:
    """How coaching one file of a batch ended."""

    index: int  # the file's place in the batch
    coached: cli.Coached | None = None  # None: it failed, or never got to coaching
    error: str | None = None  # the one-line error that stopped it
    started: bool = True  # False: the batch was stopped before its session began
    elapsed_s: float = 0.0
    report_path: Path | None = None  # for a failure, the report when one was written
    detail: str | None = None  # an unexpected error's traceback, shown with --debug

    @property
    def code(self) -> int:
        if self.coached is not None:
            return self.coached.code
        return cli.EXIT_ERROR if self.error is not None else cli.EXIT_INTERRUPTED

    @property
    def kind(self) -> str:
        """What became of the file: one of KINDS."""
        if self.coached is not None:
            return _CODE_KINDS[self.coached.code].partition(" (")[0]
        return "error" if self.error is not None else "not started"

    @property
    def status(self) -> str:
        """The kind, with the error's message or what stopped the file."""
        if self.coached is not None:
            return _CODE_KINDS[self.coached.code]
        return f"error: {self.error}" if self.error is not None else self.kind


# What can become of a file, in the order the total line counts them.
KINDS = ("OK", "nobody found", "incomplete", "error", "not started")
_CODE_KINDS = {  # a coached file's exit code: its status
    cli.EXIT_OK: "OK",
    cli.EXIT_NOBODY: "nobody found",
    cli.EXIT_INTERRUPTED: "incomplete (interrupted)",
    cli.EXIT_TERMINATED: "incomplete (SIGTERM)",
    cli.EXIT_ERROR: "incomplete (damaged frames left out)",
}


def batch_exit_code(results: Sequence[FileResult], stopped: KeyboardInterrupt | None) -> int:
    """0 when every file is OK, else the most serious of the files' exit codes; when the
    batch was `stopped`, 130 (Ctrl-C) or 143 (SIGTERM)."""
    if stopped is not None:
        return cli.EXIT_TERMINATED if isinstance(stopped, Terminated) else cli.EXIT_INTERRUPTED
    codes = {result.code for result in results}
    return next((code for code in SERIOUSNESS if code in codes), cli.EXIT_OK)


# --- The worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frames:
    """A worker's progress on a file: `done` frames analysed of `total` (0: unknown)."""

    index: int
    done: int
    total: int


@dataclass(frozen=True)
class _Log:
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
            _channel.put(_Log(_current, record.levelname.lower(), record.getMessage()))


def _start_worker(channel: Any, stop: Any, debug: bool) -> None:
    """Set up a worker process: the queue to the parent, the stop event, posecoach's log
    lines sent to the parent. Between files, Ctrl-C is the parent's to handle."""
    global _channel, _stop
    _channel, _stop = channel, stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = logging.getLogger("posecoach")
    logger.handlers[:] = [_ChannelHandler()]
    logger.propagate = False
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _coach_file(index: int, args: argparse.Namespace) -> FileResult:
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
            _channel.put(_Frames(index, done, total))

    error: str | None = None
    detail: str | None = None
    try:
        with _interruptible():
            pose = cli._pose(args)
            coached = cli._coach_source(args, pose, live=False, progress=progress)
        return FileResult(index, coached=coached, elapsed_s=time.perf_counter() - started)
    except KeyboardInterrupt:  # before the session began (in it, it ends the session)
        return FileResult(index, started=False)
    except PosecoachError as problem:
        error = str(problem)
    except Exception as problem:  # a bug: the other files go on; --debug shows where
        error = f"unexpected error: {type(problem).__name__}: {problem}"
        detail = traceback.format_exc()
    report = args.report
    written = report is not None and report.exists() and report.stat().st_mtime >= wall_started
    return FileResult(
        index,
        error=error.splitlines()[0] if error else "unknown error",
        elapsed_s=time.perf_counter() - started,
        report_path=report if written else None,
        detail=detail,
    )


# --- The parent ------------------------------------------------------------------------------


class _Display(Protocol):
    labels: Sequence[str]  # each file's name

    def __enter__(self) -> _Display: ...
    def __exit__(self, *exc: object) -> None: ...
    def advance(self, index: int, done: int, total: int) -> None: ...
    def finished(self, result: FileResult, text: str) -> None: ...
    def note(self, text: str) -> None: ...


class _Lines:
    """For a pipe or a log file: a line per file as it finishes, no control codes."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = labels
        self._done = 0

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def advance(self, index: int, done: int, total: int) -> None:
        pass

    def finished(self, result: FileResult, text: str) -> None:
        self._done += 1
        label = self.labels[result.index]
        print(f"[{self._done}/{len(self.labels)}] {label}: {text}", file=sys.stderr)

    def note(self, text: str) -> None:
        print(text, file=sys.stderr)


class _Bars:
    """For a terminal: a bar per file (rich), and one for the files done. With more files
    than the screen has lines, a file's bar shows only while it is coached."""

    def __init__(self, labels: Sequence[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.labels = labels
        console = Console(file=sys.stderr, force_terminal=True)
        width = min(max(len(label) for label in (*labels, "all files")), LABEL_WIDTH)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}", markup=False),
            console=console,
        )
        self._compact = len(labels) + 2 > console.height
        self._all = self._progress.add_task("all files".ljust(width), total=len(labels), status="")
        self._tasks = [
            self._progress.add_task(
                _fit(label, width),
                total=None,
                start=False,
                visible=not self._compact,
                status="waiting",
            )
            for label in labels
        ]
        self._started: set[int] = set()

    def __enter__(self) -> _Bars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def advance(self, index: int, done: int, total: int) -> None:
        task = self._tasks[index]
        if index not in self._started:
            self._started.add(index)
            self._progress.start_task(task)
        known = total if total >= done else 0  # a container's frame count can be off
        self._progress.update(task, completed=done, total=known or None, visible=True, status="")

    def finished(self, result: FileResult, text: str) -> None:
        task = self._tasks[result.index]
        if result.coached is not None and result.kind != "incomplete":  # the whole file
            frames = result.coached.frames
            self._progress.update(task, completed=frames, total=max(frames, 1))
        self._progress.stop_task(task)
        self._progress.update(task, status=result.kind, visible=not self._compact)
        self._progress.advance(self._all)

    def note(self, text: str) -> None:
        self._progress.console.print(text, markup=False, highlight=False)


def _fit(label: str, width: int) -> str:
    """`label` in `width` characters: padded, or its end kept (the file name) after '...'."""
    return label.ljust(width) if len(label) <= width else "..." + label[-(width - 3) :]


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def run_batch(args: argparse.Namespace, files: Sequence[Path]) -> int:
    """Coach `files` (from `batch_files`) over worker processes as `args` say, each as a
    single replay would; print the summary table; return the exit code."""
    pose = cli._pose(args)  # a wrong pose, pose file or --set fails once, not once per file
    folders = _output_folders(args)
    names = output_names(files)
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(files)))
    # Files run side by side, a process per core: a model thread each keeps the cores busy
    # without the workers taking turns on them. One at a time, a file gets the default.
    threads = args.threads or (WORKER_THREADS if workers > 1 else None)
    jobs = [
        _file_args(args, path, name, pose, folders, threads)
        for path, name in zip(files, names, strict=True)
    ]
    _check_inputs_kept(files, jobs)
    labels = _labels(files)
    print(
        f"posecoach replay: {_count(len(files), 'file')} as {pose.name}, {workers} at a time",
        file=sys.stderr,
    )
    display: _Display = _Bars(labels) if _stderr_is_terminal() else _Lines(labels)
    started = time.perf_counter()
    with display:
        results, stopped = _run_all(jobs, workers, display, pose, args.debug)
    elapsed_s = time.perf_counter() - started
    print("\n".join(cli._table(_table_rows(results, files, pose))))
    print(_total_line(results, elapsed_s, workers))
    if stopped is not None:
        print(
            f"posecoach: {stop_reason(stopped)}; the files begun have their report and video "
            "so far",
            file=sys.stderr,
        )
    return batch_exit_code(results, stopped)


def _run_all(
    jobs: Sequence[argparse.Namespace],
    workers: int,
    display: _Display,
    pose: PoseSpec,
    debug: bool,
) -> tuple[list[FileResult], KeyboardInterrupt | None]:
    """Every job's result, in the jobs' order, and the Ctrl-C or SIGTERM that stopped the
    batch (None: it ran to the end)."""
    context = multiprocessing.get_context(START_METHOD)
    channel = context.Queue()
    stop = context.Value("i", 0)
    results: list[FileResult | None] = [None] * len(jobs)
    futures: dict[Future[FileResult], int] = {}
    stopped: KeyboardInterrupt | None = None
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(channel, stop, debug),
    )
    try:
        with _sigterm_interrupts():
            try:
                # The workers start here, Ctrl-C ignored: they inherit that, so none is stopped
                # while it starts up (which would break the pool); each takes Ctrl-C while it
                # coaches a file.
                with _handlers({signal.SIGINT: signal.SIG_IGN}):
                    for index, job in enumerate(jobs):
                        futures[pool.submit(_coach_file, index, job)] = index
                _collect(futures, channel, display, results, pose, debug)
            except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM (errors.Terminated)
                stopped = interrupt
                display.note("posecoach: stopping: the files begun save their reports")
                stop.value = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
                for future in futures:
                    future.cancel()
                with _signals_held():  # the workers are saving: let them
                    _collect(futures, channel, display, results, pose, debug)
    finally:
        with _signals_held():
            pool.shutdown(wait=True, cancel_futures=True)
        channel.close()
        channel.join_thread()
    return [
        result if result is not None else FileResult(index, started=False)
        for index, result in enumerate(results)
    ], stopped


def _collect(
    futures: dict[Future[FileResult], int],
    channel: Any,
    display: _Display,
    results: list[FileResult | None],
    pose: PoseSpec,
    debug: bool,
) -> None:
    """Show the workers' progress until every submitted file has its result."""
    pending = {future for future, index in futures.items() if results[index] is None}
    while True:
        _drain(channel, display, results)
        if not pending:
            return
        done, pending = wait(pending, timeout=PROGRESS_INTERVAL_S, return_when=FIRST_COMPLETED)
        for future in done:
            index = futures[future]
            result = _result(future, index)
            results[index] = result
            display.finished(result, _outcome_text(result, pose))
            if debug and result.detail:
                display.note(result.detail.rstrip())


def _drain(channel: Any, display: _Display, results: Sequence[FileResult | None]) -> None:
    """Show what the workers have sent so far."""
    while True:
        try:
            message = channel.get_nowait()
        except queue.Empty:
            return
        if isinstance(message, _Frames) and results[message.index] is None:
            display.advance(message.index, message.done, message.total)
        elif isinstance(message, _Log):
            label = display.labels[message.index] if message.index >= 0 else "a worker"
            display.note(f"posecoach: {message.level}: {label}: {message.message}")


def _result(future: Future[FileResult], index: int) -> FileResult:
    if future.cancelled():
        return FileResult(index, started=False)
    try:
        return future.result()
    except Exception as error:  # the worker process died (killed, out of memory, a crash)
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        return FileResult(index, error=f"its worker process stopped: {why}")


def _outcome_text(result: FileResult, pose: PoseSpec) -> str:
    """A file's outcome in one line: 'OK: 3 reps over 330 frames in 9.1 s', 'error: ...'."""
    if result.coached is None:
        return result.status
    coached = result.coached
    return (
        f"{result.status}: {cli._amount_text(pose, coached)} over {coached.frames} frames "
        f"in {result.elapsed_s:.1f} s"
    )


def _table_rows(
    results: Sequence[FileResult], files: Sequence[Path], pose: PoseSpec
) -> list[list[str]]:
    rows = [["FILE", "FRAMES", "FOUND", "IN POSITION", "RESULT", "REPORT", "STATUS"]]
    for result in results:
        coached = result.coached
        report = coached.report_path if coached is not None else result.report_path
        figures = (
            [
                str(coached.frames),
                f"{coached.detected_fraction:.0%}",
                f"{coached.in_position_fraction:.0%}",
                cli._amount_text(pose, coached),
            ]
            if coached is not None
            else ["-"] * 4
        )
        path = str(files[result.index])
        rows.append([path, *figures, str(report) if report else "-", result.status])
    return rows


def _total_line(results: Sequence[FileResult], elapsed_s: float, workers: int) -> str:
    frames = sum(result.coached.frames for result in results if result.coached is not None)
    counts = [(sum(result.kind == kind for result in results), kind) for kind in KINDS]
    outcome = ", ".join(f"{count} {kind}" for count, kind in counts if count)
    rate = f", {frames / elapsed_s:.0f} frames/s" if elapsed_s > 0 and frames else ""
    return (
        f"total: {_count(len(results), 'file')}, {frames:,} frames in {elapsed_s:.1f} s "
        f"({_count(workers, 'worker')}{rate}): {outcome}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@contextlib.contextmanager
def _handlers(handlers: dict[signal.Signals, Any]) -> Iterator[None]:
    """Signal handlers for the duration (the main thread only: elsewhere none can be set)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interruptible() -> contextlib.AbstractContextManager[None]:
    """While a worker coaches a file, Ctrl-C ends it as it ends a single replay: the pipeline
    writes the report and video so far. (SIGTERM ends a worker as it ends a single replay,
    at once: the pool must be able to terminate its workers.)"""
    return _handlers({signal.SIGINT: signal.default_int_handler})


def _sigterm_interrupts() -> contextlib.AbstractContextManager[None]:
    """In the parent, SIGTERM stops the batch as Ctrl-C does (raising errors.Terminated)."""
    return _handlers({signal.SIGTERM: _raise_terminated})


def _signals_held() -> contextlib.AbstractContextManager[None]:
    """Ignore Ctrl-C and SIGTERM for the duration: the workers are saving what they have."""
    return _handlers({signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: signal.SIG_IGN})
