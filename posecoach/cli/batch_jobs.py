"""Replay of several files at once, before and after the workers: which files a command
line means, each file's output names and options, and what became of each file (`FileResult`)
with the batch's exit code."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach.cli.coach_one import Coached, CoachOptions
from posecoach.cli.common import DEFAULT_OUT_DIR
from posecoach.cli.exitcodes import ExitCode, stopped_code
from posecoach.coaching.posefile import PoseSpec
from posecoach.config.errors import PosecoachError
from posecoach.inputs.sources import IMAGE_SUFFIXES, natural_key
from posecoach.model.recording import RECORDING_SUFFIX, is_recording

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm")

# The exit codes a file can end with, the most serious first: the batch exits with the most
# serious one among its files.
SERIOUSNESS = (ExitCode.TERMINATED, ExitCode.INTERRUPTED, ExitCode.ERROR, ExitCode.NOBODY)

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
    return sorted(found, key=natural_key)


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


def labels(files: Sequence[Path]) -> list[str]:
    """Each file's name beside its bar: the file name, or the path when two share a name."""
    counts: dict[str, int] = {}
    for path in files:
        counts[path.name.casefold()] = counts.get(path.name.casefold(), 0) + 1
    return [path.name if counts[path.name.casefold()] == 1 else str(path) for path in files]


# --- Each file's options ---------------------------------------------------------------------


def output_folders(options: CoachOptions) -> dict[str, Path | None]:
    """--report, --out, --signals, --plot and --record as the folders they name with several
    files, each checked (and created) before any file is coached."""
    folders: dict[str, Path | None] = {}
    for option, suffixes in OUTPUT_KINDS.items():
        folder: Path | None = getattr(options, option)
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


def file_options(
    options: CoachOptions,
    path: Path,
    name: str,
    pose: PoseSpec,
    folders: dict[str, Any],
    threads: int | None = None,
) -> CoachOptions:
    """The options of a single replay of `path`, its outputs named `name`_POSE in the
    folders (the report and a video's annotated video in posecoach_out by default)."""
    stem = f"{name}_{pose.id}"

    def inside(option: str, suffix: str) -> Path | None:
        folder = folders[option]
        return None if folder is None else folder / f"{stem}{suffix}"

    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        video = inside("out", ".png")  # photos: annotated photos when asked for, as alone
    else:
        video = (folders["out"] or DEFAULT_OUT_DIR) / f"{stem}.mp4"
    return dataclasses.replace(
        options,
        source=path,
        report=(folders["report"] or DEFAULT_OUT_DIR) / f"{stem}.json",
        out=video,
        signals=inside("signals", ".csv"),
        plot=inside("plot", ".png"),
        record=inside("record", RECORDING_SUFFIX),
        window=False,  # no windows from worker processes
        threads=threads,
    )


def check_inputs_kept(files: Sequence[Path], jobs: Sequence[CoachOptions]) -> None:
    """Refuse a run whose outputs would overwrite one of the files it reads."""
    inputs = {path.resolve(): path for path in files}
    for job in jobs:
        for option in OUTPUT_KINDS:
            output = getattr(job, option)
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
    coached: Coached | None = None  # None: it failed, or never got to coaching
    error: str | None = None  # the one-line error that stopped it
    started: bool = True  # False: the batch was stopped before its session began
    elapsed_s: float = 0.0
    report_path: Path | None = None  # for a failure, the report when one was written
    detail: str | None = None  # an unexpected error's traceback, shown with --debug

    @property
    def code(self) -> int:
        if self.coached is not None:
            return self.coached.code
        return ExitCode.ERROR if self.error is not None else ExitCode.INTERRUPTED

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
_CODE_KINDS: dict[int, str] = {  # a coached file's exit code: its status
    ExitCode.OK: "OK",
    ExitCode.NOBODY: "nobody found",
    ExitCode.INTERRUPTED: "incomplete (interrupted)",
    ExitCode.TERMINATED: "incomplete (SIGTERM)",
    ExitCode.ERROR: "incomplete (damaged frames left out)",
}


def batch_exit_code(results: Sequence[FileResult], stopped: KeyboardInterrupt | None) -> int:
    """0 when every file is OK, else the most serious of the files' exit codes; when the
    batch was `stopped`, 130 (Ctrl-C) or 143 (SIGTERM)."""
    if stopped is not None:
        return stopped_code(stopped)
    codes = {result.code for result in results}
    return next((code for code in SERIOUSNESS if code in codes), ExitCode.OK)
