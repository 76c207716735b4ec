"""How a replay of several files shows its progress on stderr: a bar per file on a terminal
(`BarDisplay`), a line per file as it finishes elsewhere (`LineDisplay`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Protocol

from posecoach.cli.batch_jobs import FileResult

LABEL_WIDTH = 40  # the widest file name beside a bar


class Display(Protocol):
    labels: Sequence[str]  # each file's name

    def __enter__(self) -> Display: ...
    def __exit__(self, *exc: object) -> None: ...
    def advance(self, index: int, done: int, total: int) -> None: ...
    def finished(self, result: FileResult, text: str) -> None: ...
    def note(self, text: str) -> None: ...


class LineDisplay:
    """For a pipe or a log file: a line per file as it finishes, no control codes."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = labels
        self._done = 0

    def __enter__(self) -> LineDisplay:
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


class BarDisplay:
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

    def __enter__(self) -> BarDisplay:
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


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
