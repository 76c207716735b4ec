"""`posecoach replay` of several files at once: a worker process per file at a time, a
progress bar per file, and a summary table. Which files and each one's options are in
`batch_jobs`, the worker's side in `batch_worker`, the bars in `batch_display`.

Each worker coaches one file through the code a single replay runs (`coach_source`), so a
file's report is the one `posecoach replay FILE` writes. While it runs, the worker sends
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

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from posecoach.cli.batch_display import BarDisplay, Display, LineDisplay, stderr_is_terminal
from posecoach.cli.batch_jobs import (
    KINDS,
    FileResult,
    batch_exit_code,
    check_inputs_kept,
    file_options,
    labels,
    output_folders,
    output_names,
)
from posecoach.cli.batch_worker import (
    PROGRESS_INTERVAL_S,
    Frames,
    LogLine,
    coach_file,
    start_worker,
)
from posecoach.cli.coach_one import CoachOptions, amount_text
from posecoach.cli.common import table
from posecoach.cli.signal_handlers import handlers, raise_terminated
from posecoach.coaching.posefile import PoseSpec
from posecoach.config.errors import Terminated, stop_reason
from posecoach.model.blazepose.models import WORKER_THREADS

# Workers are started fresh, not forked from a parent that may hold the model's threads.
# (A forkserver with posecoach and the model runtime preloaded started two workers 1 s sooner
# here, but its workers fork from a process holding a native thread already, and inherit
# its environment from when it started, not the parent's now.)
START_METHOD = "spawn"


def run_batch(
    options: CoachOptions, files: Sequence[Path], workers: int | None, debug: bool
) -> int:
    """Coach `files` (from `batch_files`) over `workers` processes (None: one per core) as
    `options` say, each as a single replay would; print the summary table; return the exit
    code. `debug`: show an unexpected error's traceback."""
    pose = options.pose()  # a wrong pose, pose file or --set fails once, not once per file
    folders = output_folders(options)
    names = output_names(files)
    workers = max(1, min(workers or os.cpu_count() or 1, len(files)))
    # Files run side by side, a process per core: a model thread each keeps the cores busy
    # without the workers taking turns on them. One at a time, a file gets the default.
    threads = options.threads or (WORKER_THREADS if workers > 1 else None)
    jobs = [
        file_options(options, path, name, pose, folders, threads)
        for path, name in zip(files, names, strict=True)
    ]
    check_inputs_kept(files, jobs)
    file_labels = labels(files)
    print(
        f"posecoach replay: {_count(len(files), 'file')} as {pose.name}, {workers} at a time",
        file=sys.stderr,
    )
    display: Display = BarDisplay(file_labels) if stderr_is_terminal() else LineDisplay(file_labels)
    started = time.perf_counter()
    with display:
        results, stopped = _run_all(jobs, workers, display, pose, debug)
    elapsed_s = time.perf_counter() - started
    print("\n".join(table(_table_rows(results, files, pose))))
    print(_total_line(results, elapsed_s, workers))
    if stopped is not None:
        print(
            f"posecoach: {stop_reason(stopped)}; the files begun have their report and video "
            "so far",
            file=sys.stderr,
        )
    return batch_exit_code(results, stopped)


def _run_all(
    jobs: Sequence[CoachOptions],
    workers: int,
    display: Display,
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
        initializer=start_worker,
        initargs=(channel, stop, debug),
    )
    try:
        with _sigterm_interrupts():
            try:
                # The workers start here, Ctrl-C ignored: they inherit that, so none is stopped
                # while it starts up (which would break the pool); each takes Ctrl-C while it
                # coaches a file.
                with handlers({signal.SIGINT: signal.SIG_IGN}):
                    for index, job in enumerate(jobs):
                        futures[pool.submit(coach_file, index, job)] = index
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
    display: Display,
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


def _drain(channel: Any, display: Display, results: Sequence[FileResult | None]) -> None:
    """Show what the workers have sent so far."""
    while True:
        try:
            message = channel.get_nowait()
        except queue.Empty:
            return
        if isinstance(message, Frames) and results[message.index] is None:
            display.advance(message.index, message.done, message.total)
        elif isinstance(message, LogLine):
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
        f"{result.status}: {amount_text(pose, coached)} over {coached.frames} frames "
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
                amount_text(pose, coached),
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


def _sigterm_interrupts() -> contextlib.AbstractContextManager[None]:
    """In the parent, SIGTERM stops the batch as Ctrl-C does (raising errors.Terminated)."""
    return handlers({signal.SIGTERM: raise_terminated})


def _signals_held() -> contextlib.AbstractContextManager[None]:
    """Ignore Ctrl-C and SIGTERM for the duration: the workers are saving what they have."""
    return handlers({signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: signal.SIG_IGN})
