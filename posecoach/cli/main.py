"""The `posecoach` command line: `main(argv) -> exit code`, testable in-process."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import math
import os
import signal
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from posecoach import __version__
from posecoach.coaching.overrides import (
    OVERRIDES_ENV,
    SET_SOURCE,
    Overrides,
    origin_text,
    user_overrides_file,
    user_overrides_path,
)
from posecoach.coaching.posefile import (
    USER_POSES_ENV,
    Mode,
    PoseSpec,
    View,
    builtin_pose_dir,
    file_name_problem,
    load_pose,
    load_pose_file,
    pose_paths,
    user_pose_dir,
    user_pose_dir_path,
)
from posecoach.coaching.rules import UNIT_WORDS, Rule, When, range_text
from posecoach.config.errors import PosecoachError, PoseFileError, Terminated, stop_reason
from posecoach.synth import LOOKALIKE_IDS

if TYPE_CHECKING:
    from posecoach.inputs.sources import FrameSource
    from posecoach.model.estimator import PoseEstimator
    from posecoach.output.speech import Voice
    from posecoach.reports.history import Saved

log = logging.getLogger("posecoach")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOBODY = 3
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM (128 + 15)

DEFAULT_OUT_DIR = Path("posecoach_out")
DEFAULT_SAMPLE = "half_kneeling_both_sides"


# How rule thresholds are written, by the rule kind's unit key; other keys print as they are.
TEXT_WIDTH = 96


def _add_pose_dirs(parser: argparse.ArgumentParser, dest: str = "pose_dirs") -> None:
    """--poses DIR (repeatable). Commands with it also read the per-user pose folder first."""
    parser.add_argument(
        "--poses",
        dest=dest,
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=f"also read pose files from DIR (after the built-in folder and ${USER_POSES_ENV} "
        "or ~/.config/posecoach/poses; later folders win on the same id)",
    )


def _add_model(parser: argparse.ArgumentParser) -> None:
    """--model and --threads: which pose model, on how many threads."""
    parser.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="a pose landmark model: a BlazePose landmark .tflite (lite, full or heavy) or a "
        "MediaPipe pose landmarker .task bundle (default: the bundled full model)",
    )
    parser.add_argument(
        "--threads",
        type=_whole,
        metavar="N",
        help="threads the pose model runs on (default: 2 on a machine with 2 cores or more; "
        "1 per file when several files run at once)",
    )


def _add_camera_settings(parser: argparse.ArgumentParser) -> None:
    """--width, --height and --fps: what to ask of the camera."""
    parser.add_argument("--width", type=int, help="ask the camera for this frame width")
    parser.add_argument("--height", type=int, help="ask the camera for this frame height")
    parser.add_argument("--fps", type=_positive, help="ask the camera for this frame rate")


def _add_camera(parser: argparse.ArgumentParser) -> None:
    """--camera N and --camera-video VIDEO (a video played as the camera), and the camera's
    settings, for the commands that coach from a camera."""
    parser.add_argument(
        "--camera", type=int, default=0, metavar="N", help="camera index (default 0)"
    )
    parser.add_argument(
        "--camera-video",
        type=Path,
        metavar="VIDEO",
        help="use this video as the camera, played in real time (try it without a webcam)",
    )
    _add_camera_settings(parser)


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    """--overrides FILE and --set POSE.RULE.KEY=VALUE (repeatable): values above the pose files."""
    parser.add_argument(
        "--overrides",
        dest="overrides_file",
        type=Path,
        metavar="FILE.toml",
        help=f"read threshold overrides from FILE instead of ${OVERRIDES_ENV} or "
        "~/.config/posecoach/overrides.toml",
    )
    parser.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="POSE.RULE.KEY=VALUE",
        help="set one value above the pose file and the overrides file (repeatable); RULE "
        "may be target or counter",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecoach",
        description="Camera-based coach for psoas and hip-flexor stretches.",
    )
    parser.add_argument("--version", action="version", version=f"posecoach {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    poses = commands.add_parser(
        "poses",
        help="list the stretches; 'poses show ID' explains one, 'poses check' checks files",
        description="With no ACTION: list the stretches and the folders they were read from.",
    )
    _add_pose_dirs(poses)
    pose_actions = poses.add_subparsers(dest="pose_action", metavar="ACTION")
    show = pose_actions.add_parser("show", help="a stretch's settings and every rule, explained")
    show.add_argument("pose_id", metavar="ID", help="the stretch (see 'posecoach poses')")
    _add_pose_dirs(show, dest="show_pose_dirs")
    _add_overrides(show)
    check = pose_actions.add_parser("check", help="validate pose files before using them")
    check.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE.toml",
        help="pose files to check (a folder: every .toml file in it)",
    )

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--pose", required=True, metavar="ID", help="the stretch (see 'posecoach poses')"
        )
        sub.add_argument(
            "--pose-file",
            type=Path,
            metavar="FILE.toml",
            help="use this pose file instead of the catalogue's file for --pose",
        )
        _add_pose_dirs(sub)
        _add_overrides(sub)
        _add_model(sub)
        sub.add_argument(
            "--report", type=Path, metavar="FILE.json", help="where to write the session report"
        )
        sub.add_argument(
            "--out",
            type=Path,
            metavar="VIDEO",
            help="write the annotated video here (.mp4 or .avi)",
        )
        sub.add_argument("--no-window", action="store_true", help="run without a window")
        sub.add_argument(
            "--signals",
            type=Path,
            metavar="FILE.csv",
            help="write every rule's value and verdict per frame here (CSV)",
        )
        sub.add_argument(
            "--plot",
            type=Path,
            metavar="FILE.png",
            help="draw every rule's value over time, with thresholds and verdicts (PNG)",
        )
        sub.add_argument(
            "--html",
            type=Path,
            metavar="FILE.html",
            help="also write the report as one self-contained web page, with the signals plot "
            "and the best and worst moments (one source only)",
        )
        sub.add_argument(
            "--record",
            type=Path,
            metavar="FILE.pcrec",
            help="also save the landmarks the model finds to this recording (see 'record')",
        )
        sub.add_argument(
            "--mute",
            action="store_true",
            help="no form cues or praise (set-up prompts still show; m in the window toggles)",
        )

    live = commands.add_parser("live", help="coach from a webcam")
    common(live)
    _add_camera(live)
    live.add_argument("--no-mirror", action="store_true", help="show the window unmirrored")
    live.add_argument(
        "--no-history",
        action="store_true",
        help="do not add this session's numbers to the history (see 'posecoach history')",
    )
    live.add_argument(
        "--no-voice",
        action="store_true",
        help="do not speak the cues (v in the window turns the voice on or off)",
    )

    replay = commands.add_parser(
        "replay",
        help="coach recorded videos, images, folders of images or recordings",
        description="Coach one source, or several at once: several files, or a folder of "
        "videos or recordings, are spread over worker processes (--workers), with a progress "
        "bar and a report and annotated video per file, then a summary table. With several "
        "files, --report, --out, --signals, --plot and --record name FOLDERS (--report and --out "
        "default to posecoach_out): each file gets NAME_POSE.json, .mp4 (.png for photos), "
        ".csv, .png and .pcrec in them, NAME being the file's name without its suffix (made "
        "unique when two files share it). There is no window or voice then. The exit code is "
        "the most serious of the files' (143 SIGTERM, 130 Ctrl-C, then 1 error, then 3 nobody "
        "found).",
    )
    replay.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SOURCE",
        help="video file, image, folder of images, landmark recording (.pcrec), or a folder of "
        "videos or recordings (each video and recording in it, not its subfolders)",
    )
    common(replay)
    replay.add_argument(
        "--image-fps",
        type=_positive,
        default=30.0,
        help="frame rate for a folder of images (default 30)",
    )
    replay.add_argument(
        "--voice",
        action="store_true",
        help="speak the cues as they are shown (off by default: a replay runs faster than "
        "real time; v in the window turns it off or on)",
    )
    replay.add_argument(
        "--stride",
        type=_whole,
        default=1,
        metavar="N",
        help="analyse every Nth frame only (default 1: every frame)",
    )
    replay.add_argument(
        "--workers",
        type=_whole,
        metavar="N",
        help="files coached at once, each in a process of its own, when there are several "
        "(default: one per core)",
    )

    record = commands.add_parser(
        "record",
        help="save the landmarks the model finds in a video, image folder or camera, to "
        "coach them again without the model",
    )
    recorded = record.add_mutually_exclusive_group(required=True)
    recorded.add_argument(
        "source",
        nargs="?",
        type=Path,
        metavar="SOURCE",
        help="video file, image, or folder of images",
    )
    recorded.add_argument("--camera", type=int, metavar="N", help="record from this camera")
    record.add_argument(
        "--out", required=True, type=Path, metavar="FILE.pcrec", help="the recording to write"
    )
    _add_model(record)
    _add_camera_settings(record)
    record.add_argument(
        "--image-fps",
        type=_positive,
        default=30.0,
        help="frame rate for a folder of images (default 30)",
    )
    record.add_argument("--no-window", action="store_true", help="record without a preview")
    synth = commands.add_parser(
        "synth", help="generate a clip of a stretch (or a look-alike) with its exact ground truth"
    )
    synth.add_argument(
        "--pose",
        metavar="ID",
        help="the stretch to perform; with --movement, the stretch whose rules judge the truth "
        "(default: the first the movement is a negative for)",
    )
    synth.add_argument(
        "--movement",
        choices=LOOKALIKE_IDS,
        metavar="NAME",
        help="perform a look-alike exercise instead, never in position for the stretch: "
        + ", ".join(LOOKALIKE_IDS),
    )
    synth.add_argument(
        "--out", required=True, type=Path, metavar="FILE.mp4", help="the clip to write"
    )
    synth.add_argument(
        "--side",
        choices=("left", "right", "both"),
        help="working side for a per-side stretch (default both: left, then right)",
    )
    amount = synth.add_mutually_exclusive_group()
    amount.add_argument("--reps", type=_whole, metavar="N", help="reps per side (reps stretches)")
    amount.add_argument(
        "--hold", type=_positive, metavar="S", help="seconds held per side (hold stretches)"
    )
    synth.add_argument(
        "--fault", metavar="NAME", help="perform with one of the stretch's faults (see README)"
    )
    synth.add_argument(
        "--view",
        default="side",
        help="camera: side, front, back or oblique-N (N degrees from side toward front)",
    )
    synth.add_argument(
        "--seed", type=_natural, default=0, help="body, clothes and room (default 0)"
    )
    synth.add_argument(
        "--size", type=_size, default=(640, 480), metavar="WxH", help="default 640x480"
    )
    synth.add_argument("--fps", type=_positive, default=30.0, help="frame rate (default 30)")
    synth.add_argument(
        "--facing", choices=("left", "right"), help="which way the performer faces in the image"
    )
    synth.add_argument("--lighting", action="store_true", help="let the light drift slowly")
    synth.add_argument(
        "--blur", type=_non_negative, default=0.0, metavar="SIGMA", help="blur, pixels"
    )
    synth.add_argument(
        "--noise",
        type=_non_negative,
        default=0.0,
        metavar="SIGMA",
        help="sensor noise, grey levels",
    )
    synth.add_argument(
        "--pose-file", type=Path, metavar="FILE.toml", help="judge the truth with this pose file"
    )
    _add_pose_dirs(synth)

    evalset = commands.add_parser(
        "evalset",
        help="generate the evaluation set: every stretch, both sides, correct and faulty, "
        "with dropouts, set-up phases and negatives (for posecoach eval)",
    )
    evalset.add_argument("folder", type=Path, metavar="DIR", help="where to write the clips")
    evalset.add_argument(
        "--seeds", type=int, default=1, metavar="N", help="performers per clip (default 1)"
    )
    evalset.add_argument("--quick", action="store_true", help="a handful of short clips only")
    evalset.add_argument(
        "--workers", type=int, default=1, metavar="N", help="clips generated at once (default 1)"
    )

    demo = commands.add_parser(
        "demo", help="coach a bundled sample clip and write its report and annotated video"
    )
    demo.add_argument(
        "sample", nargs="?", default=DEFAULT_SAMPLE, help=f"which sample (default {DEFAULT_SAMPLE})"
    )
    demo.add_argument("--list", action="store_true", help="list the bundled samples")
    demo.add_argument("--no-window", action="store_true", help="run without a window")
    _add_overrides(demo)

    evaluate = commands.add_parser(
        "eval",
        help="measure accuracy on generated clips or labelled footage",
        description="Coach every clip of a folder of generated clips (NAME.mp4 with "
        "NAME.truth.json, and labels.json if there) or of a labels file, and compare with the "
        "truth: rep counts, hold times, rule verdicts, faults flagged, negatives.",
    )
    evaluate.add_argument(
        "input",
        type=Path,
        metavar="DIR_OR_LABELS.json",
        help="a folder of generated clips, or a labels file",
    )
    evaluate.add_argument(
        "--report", type=Path, metavar="FILE.json", help="write every row and the summary here"
    )
    evaluate.add_argument(
        "--workers", type=_whole, default=1, metavar="N", help="clips run at once (default 1)"
    )
    _add_pose_dirs(evaluate)
    _add_overrides(evaluate)

    history = commands.add_parser(
        "history",
        help="progress per stretch over time: sessions, hold time and range per side, "
        "left/right asymmetry",
        description="Show the numbers every live and guided session saved (never video): "
        "without --pose a small table per stretch, with --pose a line per session of it.",
    )
    history.add_argument("--pose", metavar="ID", help="one line per session of this stretch")
    history.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="draw hold time, range and asymmetry per stretch over the dates (PNG)",
    )
    history.add_argument(
        "--db",
        type=Path,
        metavar="FILE",
        help="the history database (default: $POSECOACH_HISTORY, else "
        "$XDG_DATA_HOME/posecoach/history.sqlite3 or ~/.local/share/posecoach/...)",
    )

    session = commands.add_parser(
        "session",
        help="be led through a routine of stretches (webcam, or a video or recording)",
        description="Lead a routine: per stretch its name and how-to, a camera set-up check, "
        "a countdown, the reps or holds per side with 'switch sides' prompts, a rest, then the "
        "next. Keys: n next stretch, r this stretch again, space pause, m mute cues, v voice, "
        "q quit.",
    )
    session.add_argument(
        "source",
        nargs="?",
        type=Path,
        metavar="SOURCE",
        help="a video or landmark recording to run the session on (default: the webcam)",
    )
    session.add_argument(
        "--routine",
        metavar="ID|FILE",
        help="a built-in routine (cooldown, warmup, desk_break, constructive_rest), your own "
        "by id, or a routine file",
    )
    session.add_argument("--list", action="store_true", help="list the routines and exit")
    _add_camera(session)
    _add_model(session)
    session.add_argument(
        "--report",
        type=Path,
        metavar="FILE.json",
        help="the session's JSON (default posecoach_out/session_ROUTINE_DATE.json; the HTML "
        "report goes beside it)",
    )
    session.add_argument("--out", type=Path, metavar="VIDEO", help="write the annotated video")
    session.add_argument("--no-window", action="store_true", help="run without a window")
    session.add_argument("--no-mirror", action="store_true", help="show the window unmirrored")
    session.add_argument("--no-voice", action="store_true", help="do not speak (v toggles)")
    session.add_argument("--no-history", action="store_true", help="keep it out of the history")
    _add_pose_dirs(session)

    tune = commands.add_parser(
        "tune",
        help="tune a stretch's thresholds on a clip (sliders), or fit them to labelled clips",
        description="With SOURCE: a window with a slider per threshold of the stretch; the "
        "clip is measured once and judged again at every move. With --fit: the thresholds "
        "that best match labelled clips, before/after accuracy and the changed values.",
    )
    tune.add_argument(
        "source",
        nargs="?",
        type=Path,
        metavar="SOURCE",
        help="video, image folder or recording to tune on (opens the window)",
    )
    tune.add_argument("--pose", required=True, metavar="ID", help="the stretch to tune")
    tune.add_argument(
        "--fit",
        type=Path,
        metavar="LABELS",
        help="fit to these labelled clips: a folder of generated clips or a labels file",
    )
    tune.add_argument(
        "--write",
        action="store_true",
        help="with --fit: save the fitted values to the overrides file",
    )
    _add_pose_dirs(tune)
    _add_overrides(tune)
    return parser


def _whole_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of `minimum` or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {minimum} or more, got {text!r}"
            )
        return value

    return parse


def _finite(zero_allowed: bool) -> Callable[[str], float]:
    """An argparse type: a finite number above 0 (or of 0 or more)."""
    wanted = "a number of 0 or more" if zero_allowed else "a number above 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (value > 0 or (zero_allowed and value == 0))):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


_whole = _whole_at_least(1)
_natural = _whole_at_least(0)
_positive = _finite(zero_allowed=False)
_non_negative = _finite(zero_allowed=True)


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if min(size) < 64 or max(size) > 4096:
        raise argparse.ArgumentTypeError(f"expected WxH between 64 and 4096, got {text!r}")
    return size


def _pose(args: argparse.Namespace) -> PoseSpec:
    if args.pose_file is not None:
        spec = load_pose_file(args.pose_file)
        if spec.id != args.pose:
            raise PosecoachError(f"{args.pose_file} defines pose {spec.id!r}, not {args.pose!r}")
    else:
        spec = load_pose(args.pose, args.pose_dirs)
    return _with_overrides(spec, args)


def _with_overrides(spec: PoseSpec, args: argparse.Namespace) -> PoseSpec:
    """The stretch with the run's overrides file and --set values applied (commands without
    --overrides and --set: as it is)."""
    overrides: Overrides | None = vars(args).get("overrides")
    if overrides is None:
        return spec
    overrides.check_set_poses({spec.id})
    return overrides.apply(spec)


def _overrides(args: argparse.Namespace) -> Overrides:
    """The values above the pose files: --overrides FILE (else the per-user file), then --set.
    Warns of stretches in the file that no pose folder read has."""
    if args.command == "tune":  # tune creates the file when it saves: it may not exist yet
        file = args.overrides_file if args.overrides_file is not None else user_overrides_path()
        file = file if file.exists() else None
    else:
        file = args.overrides_file if args.overrides_file is not None else user_overrides_file()
    overrides = Overrides.load(file, args.set_values)
    dirs = args.pose_dirs if "pose_dirs" in vars(args) else _pose_dirs([])
    named = [str(vars(args)[key]) for key in ("pose", "pose_id") if vars(args).get(key)]
    for warning in overrides.unknown_poses({*pose_paths(dirs), *named}):
        print(f"posecoach: warning: {warning}", file=sys.stderr)
    return overrides


def _writable(path: Path, what: str) -> Path:
    """Check before a session that its output can be written (not after it has run)."""
    if path.is_dir():
        raise PosecoachError(f"cannot write {what} {path}: it is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PosecoachError(
            f"cannot write {what} {path}: cannot create its folder ({error.strerror or error})"
        ) from error
    return path


def _output_file(path: Path, suffix: str, what: str) -> Path:
    """Check a --signals or --plot file before the session: its suffix, a folder to write in."""
    if path.suffix.lower() != suffix:
        raise PosecoachError(
            f"cannot write {what} {path}: expected a {suffix} file name, "
            f"got {path.suffix or 'no suffix'}"
        )
    _writable(path, what)
    if not os.access(path.parent, os.W_OK):
        raise PosecoachError(f"cannot write {what} {path}: its folder is not writable")
    return path


def _pose_dirs(given: Sequence[Path]) -> list[Path]:
    """The pose folders read after the built-in one: the per-user folder, then each --poses DIR."""
    for folder in given:
        if not folder.is_dir():
            raise PosecoachError(
                f"--poses {folder}: no such folder; give a folder that holds pose files (.toml)"
            )
    user = user_pose_dir()
    return ([user] if user is not None else []) + list(given)


def _folder_label(folder: Path) -> str:
    if folder == builtin_pose_dir():
        return "built in"
    if folder == user_pose_dir():
        return "yours"
    return "--poses"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _cmd_poses(args: argparse.Namespace) -> int:
    if args.pose_action == "check":
        return _cmd_poses_check(args.files)
    if args.pose_action == "show":
        spec = _with_overrides(load_pose(args.pose_id, args.pose_dirs), args)
        return _cmd_poses_show(spec, args.overrides)
    builtin = pose_paths()
    rows = [["ID", "NAME", "VIEW", "MODE", "TARGET", "FROM"]]
    broken: list[str] = []
    for pose_id, path in sorted(pose_paths(args.pose_dirs).items()):
        origin = _folder_label(path.parent)
        if pose_id in builtin and path != builtin[pose_id]:
            origin += " (replaces the built-in)"
        try:
            spec = load_pose_file(path)
            if (problem := file_name_problem(spec)) is not None:
                raise PoseFileError(str(path), [problem])
        except PoseFileError as error:
            broken.append(str(error))
            rows.append([pose_id, "(cannot be loaded: see below)", "-", "-", "-", origin])
            continue
        rows.append(
            [pose_id, spec.name, spec.view.value, spec.mode.value, spec.target_label, origin]
        )
    print("\n".join(_table(rows)))
    print()
    print("Folders read (later ones win on the same id):")
    folders = [[_folder_label(f), str(f), ""] for f in (builtin_pose_dir(), *args.pose_dirs)]
    if user_pose_dir() is None:
        folders.insert(
            1, ["yours", str(user_pose_dir_path()), "(absent: create it to add your own stretches)"]
        )
    print("\n".join("  " + line for line in _table(folders)))
    for line in broken:
        print(f"posecoach: error: {line}", file=sys.stderr)
    if broken:
        print(
            f"posecoach: {len(broken)} pose file{'' if len(broken) == 1 else 's'} could not be "
            "loaded: fix them, and check with 'posecoach poses check FILE.toml'",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def _mark(spec: PoseSpec | None, name: str) -> str:
    """' [o]' after a value the overrides file set, ' [s]' after one --set set, else ''."""
    entry = spec.overridden(name) if spec is not None else None
    if entry is None:
        return ""
    return " [s]" if entry.source == SET_SOURCE else " [o]"


def _threshold_text(rule: Rule, spec: PoseSpec | None = None) -> str:
    """The passing range in words: '80 to 100 deg', 'at most 0.05 torso lengths'; with `spec`,
    the values set above the pose file marked ('75 [s] to 100 deg')."""
    unit = rule.spec.unit_key
    low_mark = _mark(spec, f"{rule.id}.min_{unit}")
    high_mark = _mark(spec, f"{rule.id}.max_{unit}")
    return range_text(rule.min_value, rule.max_value, unit, low_mark, high_mark)


def _param_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _rule_params_text(rule: Rule, spec: PoseSpec | None = None) -> str:
    """The rule's own keys and values, in the kind's order; unset optional keys with defaults;
    with `spec`, the values set above the pose file marked."""
    kind = rule.spec
    parts = []
    for key in (*kind.required, *kind.optional):
        if key in rule.params:
            parts.append(f"{key} {_param_text(rule.params[key])}{_mark(spec, f'{rule.id}.{key}')}")
        elif key in kind.optional and kind.optional[key].default is not None:
            parts.append(f"{key} {_param_text(kind.optional[key].default)} (default)")
    text = "; ".join(parts)
    return f"{text}; on either side, whichever does better" if rule.either_side else text


_VIEW_TEXT = {
    View.SIDE: "side-on to the camera",
    View.FRONT: "facing the camera",
    View.ANY: "at any angle to the camera",
}
_WHEN_TEXT = {
    When.ALWAYS: "judged in every frame",
    When.TOP: "judged at the top of each rep",
    When.BOTTOM: "judged at the bottom of each rep",
}


def _wrapped(label: str, text: str, indent: int) -> list[str]:
    """`label` in a column of `indent` characters, then `text` wrapped beside it."""
    # A path (the pose file, the overrides file) stays whole, even past the width.
    width = TEXT_WIDTH - indent
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    return [(label if i == 0 else "").ljust(indent) + line for i, line in enumerate(lines)]


def _overrides_settings(spec: PoseSpec, overrides: Overrides | None) -> list[tuple[str, str]]:
    """`poses show` lines on where the values come from: the overrides file, --set, the legend."""
    if overrides is None:
        return []
    from_file = [e for e in spec.overrides if e.source != SET_SOURCE]
    from_set = [e for e in spec.overrides if e.source == SET_SOURCE]
    if overrides.file is None:
        file_text = f"none ({user_overrides_path()} is absent; or give --overrides FILE)"
    else:
        count = len(from_file)
        file_text = f"{overrides.file}: {count} value{'' if count == 1 else 's'} for this stretch"
    settings = [("overrides", file_text)]
    if from_set:
        settings.append(("--set", f"{len(from_set)} value{'' if len(from_set) == 1 else 's'}"))
    legend = "from the pose file unless marked: [o] the overrides file, [s] --set"
    settings.append(("values", legend))
    return settings


def _changed_lines(spec: PoseSpec) -> list[str]:
    """`poses show`'s closing table: each value set above the pose file, with its pose-file
    value and where it was set."""
    if not spec.overrides:
        return []
    rows = []
    for entry in spec.overrides:
        before = "not set" if entry.pose_file_value is None else f"{entry.pose_file_value:g}"
        rows.append(
            [
                f"  {entry.name}",
                f"{entry.value:g}{_mark(spec, entry.name)}",
                f"pose file: {before}",
                origin_text(entry.source, entry.where),
            ]
        )
    return ["", f"Changed from the pose file ({len(rows)}):", *_table(rows)]


def _cmd_poses_show(spec: PoseSpec, overrides: Overrides | None = None) -> int:
    target_key = "hold_s" if spec.mode is Mode.HOLD else "reps"
    lines = [f"{spec.name} ({spec.id})"]
    for paragraph in spec.description.split("\n\n"):
        lines.append("")
        lines += textwrap.wrap(paragraph, TEXT_WIDTH, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    settings = [
        ("view", f"{spec.view.value} ({_VIEW_TEXT[spec.view]})"),
        ("mode", spec.mode.value),
        ("target", spec.target_label + _mark(spec, f"target.{target_key}")),
        (
            "sides",
            f"per side; the working side is the {spec.working} leg's side"
            if spec.per_side
            else "not per side (one total)",
        ),
    ]
    if spec.counter is not None:
        signal = spec.rule(spec.counter.signal)
        unit = UNIT_WORDS.get(signal.spec.unit_key, signal.spec.unit_key)
        start = f"{spec.counter.start:g}{_mark(spec, 'counter.start')}"
        peak = f"{spec.counter.peak:g}{_mark(spec, 'counter.peak')}"
        if spec.counter.rising:
            motion = f"rises from {start} or less to {peak} or more"
        else:
            motion = f"falls from {start} or more to {peak} or less"
        counter_text = f"{signal.id} ({unit}) {motion} and back: one rep"
        if spec.counter.min_range or spec.overridden("counter.min_range"):
            counter_text += (
                f", moving at least {spec.counter.min_range:g}{_mark(spec, 'counter.min_range')} "
                f"{unit} from where it rested"
            )
        settings.append(("rep counter", counter_text))
    settings.append(("file", str(spec.path)))
    settings += _overrides_settings(spec, overrides)
    for label, text in settings:
        lines += _wrapped(f"  {label}", text, 15)
    counted = "reps count" if spec.mode is Mode.REPS else "the timer runs"
    rules_intro = (
        f"Rules ({len(spec.rules)}): gates define the position ({counted} only while every "
        "gate passes); form checks give their cue when they fail. Priority 1 is the most important."
    )
    lines += ["", *textwrap.wrap(rules_intro, TEXT_WIDTH)]
    for rule in spec.rules:
        role = "gate (defines the position)" if rule.gate else "form check"
        lines += ["", f"  {rule.id}: {role}, {_WHEN_TEXT[rule.when]}, priority {rule.priority}"]
        lines += _wrapped("    kind", f"{rule.kind}: {rule.spec.description}", 16)
        lines += _wrapped("    measures", _rule_params_text(rule, spec), 16)
        lines += _wrapped("    passes at", _threshold_text(rule, spec), 16)
        lines += _wrapped("    cue", f'"{rule.cue}"', 16)
    lines += _changed_lines(spec)
    print("\n".join(lines))
    return EXIT_OK


def _cmd_poses_check(files: Sequence[Path]) -> int:
    builtin = pose_paths()
    all_ok = True
    for given in files:
        paths = sorted(given.glob("*.toml")) if given.is_dir() else [given]
        if not paths:
            print(f"{given}: no pose files (.toml) in this folder")
            all_ok = False
        for path in paths:
            all_ok = _check_pose_file(path, builtin) and all_ok
    return EXIT_OK if all_ok else EXIT_ERROR


def _check_pose_file(path: Path, builtin: dict[str, Path]) -> bool:
    """Print 'FILE: ok (...)' and any warnings, or every problem; True when the file is usable."""
    try:
        spec = load_pose_file(path)
    except PoseFileError as error:
        for problem in error.problems:
            print(f"{path}: {problem}")
        return False
    mismatch = file_name_problem(spec)
    if mismatch is not None:
        print(f"{path}: {mismatch}")
        return False
    count = len(spec.rules)
    print(f"{path}: ok ({spec.id}, {count} rule{'' if count == 1 else 's'})")
    if path.suffix != ".toml":
        print(f"{path}: warning: pose folders read only .toml files: rename it to {spec.id}.toml")
    shadowed = builtin.get(spec.id)
    if shadowed is not None and shadowed.resolve() != path.resolve():
        print(
            f"{path}: warning: id {spec.id!r} is also a built-in stretch: in your pose folder "
            "or with --poses this file replaces it; choose another id to keep both"
        )
    return True


def _cmd_evalset(args: argparse.Namespace) -> int:
    from posecoach.synth.evalset import eval_set_specs, write_eval_set

    clips = eval_set_specs(seeds=args.seeds, quick=args.quick)

    def progress(done: int, total: int, clip: object, written: bool) -> None:
        name = getattr(clip, "name", "")
        print(f"[{done}/{total}] {name}{'' if written else ' (kept)'}", file=sys.stderr)

    labels = write_eval_set(args.folder, clips, workers=max(args.workers, 1), progress=progress)
    print(f"posecoach evalset: {len(clips)} clips in {args.folder} (negatives in {labels.name})")
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from posecoach.synth.clip import side_list

    if args.movement is not None:
        return _synth_movement(args)
    if args.pose is None:
        raise PosecoachError("give the stretch to perform (--pose ID) or a --movement NAME")
    pose = _pose(args)
    if pose.mode is Mode.REPS and args.hold is not None:
        raise PosecoachError(f"{pose.id} is counted in reps: use --reps, not --hold")
    if pose.mode is Mode.HOLD and args.reps is not None:
        raise PosecoachError(f"{pose.id} is a hold: use --hold, not --reps")
    if not pose.per_side and args.side is not None:
        raise PosecoachError(f"{pose.id} is not done per side: leave out --side")
    truth = _write_synth(
        args, pose, sides=side_list(args.side, pose.per_side), fault=args.fault, movement=None
    )
    print(f"true totals: {_totals_text(truth['totals'], pose)}")
    return EXIT_OK


def _synth_movement(args: argparse.Namespace) -> int:
    """`posecoach synth --movement NAME`: a look-alike exercise, with its cycles (--reps) or
    hold (--hold), judged by --pose or the first stretch it is a negative for."""
    from posecoach.synth.lookalikes import LOOKALIKES

    look = LOOKALIKES[args.movement]
    if look.held and args.reps is not None:
        raise PosecoachError(f"{look.id} is held: use --hold, not --reps")
    if not look.held and args.hold is not None:
        raise PosecoachError(f"{look.id} is done in cycles: use --reps, not --hold")
    if args.side is not None or args.fault is not None:
        raise PosecoachError(f"{look.id} is a look-alike: leave out --side and --fault")
    args.pose = args.pose or look.negative_for[0]
    pose = _pose(args)
    _write_synth(args, pose, sides=None, fault=None, movement=look.id)
    print(f"movement: {look.movement}")
    print(f"negative for: {', '.join(look.negative_for)} (truth judged as {pose.id})")
    return EXIT_OK


def _write_synth(
    args: argparse.Namespace,
    pose: PoseSpec,
    sides: tuple[str | None, ...] | None,
    fault: str | None,
    movement: str | None,
) -> dict[str, Any]:
    """Render the clip `synth`'s options describe (`sides` None: the spec's default), print
    where it and its truth went, and return the truth."""
    from posecoach.synth.clip import ClipSpec, check_clip_path, write_clip

    defaults = ClipSpec(pose.id)
    spec = ClipSpec(
        pose_id=pose.id,
        sides=defaults.sides if sides is None else sides,
        reps=args.reps or defaults.reps,
        hold_s=args.hold or defaults.hold_s,
        fault=fault,
        view=args.view,
        seed=args.seed,
        size_wh=args.size,
        fps=args.fps,
        facing=args.facing,
        lighting=args.lighting,
        blur_px=args.blur,
        noise=args.noise,
        movement=movement,
    )
    spec.check()
    out = _writable(check_clip_path(args.out), "clip")
    truth = write_clip(spec, pose, out)
    print(f"clip:  {out} ({truth['frames']} frames, {truth['duration_s']:.1f} s)")
    print(f"truth: {out.with_name(out.stem + '.truth.json')}")
    return truth


def _totals_text(totals: dict[str, dict[str, float]], pose: PoseSpec) -> str:
    parts = []
    for key, values in totals.items():
        reps = int(values["reps"])
        amount = (
            f"{reps} rep{'' if reps == 1 else 's'}"
            if pose.mode is Mode.REPS
            else f"{values['hold_s']:.1f} s"
        )
        parts.append(amount if key == "all" else f"{key} {amount}")
    return ", ".join(parts)


def _cmd_demo(args: argparse.Namespace) -> int:
    from posecoach.config.samples import bundled_samples

    samples = bundled_samples()
    if args.list:
        for name, sample in samples.items():
            print(f"{name:28s} {sample.description}")
        return EXIT_OK
    if args.sample not in samples:
        raise PosecoachError(
            f"no sample called {args.sample!r}: expecting one of {', '.join(samples)}"
        )
    sample = samples[args.sample]
    print(f"posecoach demo: {sample.description} ({sample.video})")
    replay = argparse.Namespace(
        source=sample.video,
        stride=1,
        pose=sample.pose_id,
        pose_file=None,
        pose_dirs=[],
        model=None,
        threads=None,
        report=None,
        out=None,
        no_window=args.no_window,  # without a screen, replay falls back to no window
        image_fps=30.0,
        mute=False,
        signals=None,
        plot=None,
        record=None,
        overrides=args.overrides,
    )
    code = _run(replay, live=False)
    print(f"truth: {_totals_text(sample.totals, _pose(replay))} (from {sample.truth.name})")
    return code


def _cmd_eval(args: argparse.Namespace) -> int:
    from posecoach.evaluation.evaluate import (
        find_jobs,
        report_data,
        row_cells,
        run_jobs,
        summarize,
        summary_lines,
    )
    from posecoach.inputs.files import write_json_atomic

    started = time.perf_counter()
    jobs = find_jobs(args.input, args.pose_dirs)
    overrides: Overrides = args.overrides
    if overrides.entries:
        # Checked against every stretch coached before any clip runs; the workers apply them.
        overrides.check_set_poses({job.pose_id for job in jobs})
        for pose_id in sorted({job.pose_id for job in jobs if job.skip is None}):
            overrides.apply(load_pose(pose_id, args.pose_dirs))
        jobs = [dataclasses.replace(job, overrides=overrides) for job in jobs]
    report_path = _writable(args.report, "report") if args.report is not None else None
    print(f"posecoach eval: {len(jobs)} clip-stretch pairs from {args.input}", file=sys.stderr)
    rows = run_jobs(jobs, args.workers, progress=lambda line: print(line, file=sys.stderr))
    summary = summarize(rows)
    print("\n".join(_table(row_cells(rows))))
    print()
    print("\n".join(summary_lines(summary)))
    elapsed_s = time.perf_counter() - started
    if report_path is not None:
        data = report_data(args.input, rows, summary, elapsed_s)
        data["overrides"] = overrides.as_dict()
        write_json_atomic(report_path, data)
        print(f"report: {report_path}")
    for row in rows:
        if row.skipped is not None:
            print(f"posecoach: warning: {row.clip}: skipped: {row.skipped}", file=sys.stderr)
    if all(row.skipped is not None for row in rows):
        raise PosecoachError(
            f"no clip of {args.input} could be run (every one was skipped): check the paths"
        )
    return EXIT_OK


def _cmd_tune(args: argparse.Namespace) -> int:
    from posecoach.coaching.overrides import save_overrides
    from posecoach.output.sinks import has_display

    pose = _with_overrides(load_pose(args.pose, args.pose_dirs), args)
    # Tuned values go to the overrides file in use: --overrides FILE, else the per-user one.
    target = args.overrides_file if args.overrides_file is not None else user_overrides_path()
    if args.fit is None and args.source is None:
        raise PosecoachError("give a clip to tune on (SOURCE), or labelled clips with --fit")
    if args.write and args.fit is None:
        raise PosecoachError("--write saves what --fit finds: give --fit LABELS")
    if args.fit is not None:
        from posecoach.evaluation.fit import fit, load_fit_clips, result_lines

        def progress(line: str) -> None:
            print(line, file=sys.stderr)

        clips = load_fit_clips(pose, args.fit, args.pose_dirs, progress)
        result = fit(pose, clips)
        print(f"{pose.name}: fitted to {len(clips)} clip{'' if len(clips) == 1 else 's'}")
        print("\n".join(result_lines(result)))
        fitted = {name: after for name, (_, after) in result.changed.items()}
        if fitted and args.write:
            print(f"saved {len(fitted)} value(s) to {save_overrides(target, pose.id, fitted)}")
        elif fitted:
            print(f"(add --write to save them to {target})")
        return EXIT_OK
    from posecoach.evaluation.tune import FrameImages, Tuner, TuneWindow, load_stream
    from posecoach.model.recording import is_recording

    if not has_display():
        raise PosecoachError("tune needs a screen for its window (or use --fit, which needs none)")
    print(f"measuring {args.source} (once) ...", file=sys.stderr)
    stream, stills = load_stream(args.source)
    tuner = Tuner(pose, stream, stills=stills)
    first = next((lm for lm, _, _ in stream if lm is not None), None)
    size = first.resolution_wh if first is not None else (640, 480)
    drawn = stills or Path(args.source).is_dir() or is_recording(args.source)
    video = None if drawn else Path(args.source)  # None: drawn on a plain canvas
    images = FrameImages(video, size)

    def save(values: dict[str, float]) -> str:
        if not values:
            return "nothing changed: nothing to save"
        try:
            return f"saved {len(values)} value(s) to {save_overrides(target, pose.id, values)}"
        except PosecoachError as error:
            return f"not saved: {error}"

    try:
        TuneWindow(tuner, images, save, title=f"posecoach tune - {pose.name}").run()
    finally:
        images.close()
    changed = tuner.changed()
    print(f"{pose.name}: {tuner.summary()}")
    for name, value in changed.items():
        print(f"  {name} = {value:g}")
    return EXIT_OK


def _cmd_record(args: argparse.Namespace) -> int:
    from posecoach.model.estimator import create_estimator
    from posecoach.model.opening import open_source
    from posecoach.model.recording import (
        RecordingSource,
        recording_estimator,
        recording_path,
    )
    from posecoach.output.sinks import has_display
    from posecoach.run.interrupts import sigint_deferred
    from posecoach.run.record import record_source

    out = _writable(recording_path(args.out), "recording")
    camera = args.camera is not None
    source = _camera(args) if camera else open_source(args.source, image_fps=args.image_fps)
    try:
        if isinstance(source, RecordingSource):
            raise PosecoachError(
                f"{source.name} is already a recording: coach it with "
                f"'posecoach replay {source.name} --pose ID'"
            )
        estimator = create_estimator(
            args.model, static_images=source.independent_frames, threads=args.threads
        )
        recorder = recording_estimator(estimator, out, source)
    except BaseException:
        source.close()
        raise
    show_window = not args.no_window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    title = f"posecoach - recording {source.name}" if show_window else None
    writer = recorder.writer
    try:
        interrupted = record_source(source, recorder, title, mirror=camera)
    finally:
        with sigint_deferred():  # the frame count goes into the header whatever comes
            recorder.close()
        notes = [f"person found in {writer.found / writer.frames:.0%}"] if writer.frames else []
        if source.dropped:
            notes.append(f"{source.dropped} camera frames dropped while the model was busy")
        found = f" ({'; '.join(notes)})" if notes else ""
        print(f"recorded {writer.frames} frames{found} to {out}")
    if interrupted:
        print(
            f"posecoach: {stop_reason(interrupted)}; every frame so far is in the recording",
            file=sys.stderr,
        )
        return _stopped_code(interrupted)
    if writer.frames > 0 and writer.found == 0:
        print(
            f"posecoach: nobody was found in {source.name}: make sure the whole body is in view "
            "and well lit",
            file=sys.stderr,
        )
        return EXIT_NOBODY
    return EXIT_OK


def _estimator(args: argparse.Namespace, source: FrameSource) -> tuple[PoseEstimator | None, str]:
    """The pose model for `source` and its name, recording what it finds with --record.
    None for a recording: its landmarks were found when it was made, no model is loaded."""
    from posecoach.model.estimator import create_estimator
    from posecoach.model.recording import RecordingSource, recording_estimator, recording_path

    if isinstance(source, RecordingSource):
        for option in ("model", "record"):
            if vars(args).get(option) is not None:
                raise PosecoachError(
                    f"--{option}: {source.name} is a recording of the landmarks "
                    f"{source.model_name} found: leave out --{option}"
                )
        return None, source.model_name
    if args.record is not None:
        _writable(recording_path(args.record), "recording")
    estimator = create_estimator(
        args.model, static_images=source.independent_frames, threads=args.threads
    )
    if args.record is None:
        return estimator, estimator.name
    return recording_estimator(estimator, args.record, source), estimator.name


def _camera(args: argparse.Namespace) -> FrameSource:
    """The webcam `--camera N`, or with `--camera-video` a video played as the camera."""
    from posecoach.inputs.sources import CameraSource, VideoCamera

    if vars(args).get("camera_video") is not None:
        video = VideoCamera(args.camera_video)
        return CameraSource(capture=video, name=f"{args.camera_video} (as the camera)")
    return CameraSource(args.camera, width=args.width, height=args.height, fps=args.fps)


def _cmd_replay(args: argparse.Namespace) -> int:
    from posecoach.cli.batch import batch_files, run_batch

    files = batch_files(args.sources)
    if files is None:  # one source: a file, or a folder of images coached as stills
        args.source = args.sources[0]
        return _run(args, live=False)
    if args.html is not None:
        raise PosecoachError(
            f"--html {args.html}: an HTML report is for one source; coach the files one at a time"
        )
    args.voice = False  # workers coaching at once would speak over each other
    return run_batch(args, files)


@dataclasses.dataclass(frozen=True)
class Coached:
    """One source coached: its report's figures, where its outputs went, and the exit code.
    Small and picklable: what a `replay` worker process sends back for each file."""

    source: str  # the source's name, as in the report
    # EXIT_OK, EXIT_NOBODY (nobody found anywhere), EXIT_INTERRUPTED or EXIT_TERMINATED
    code: int
    frames: int
    detected_fraction: float
    in_position_fraction: float
    reps: int
    hold_s: float
    sides: dict[str, dict[str, float]]  # per side, its reps and hold_s; empty when not per side
    timing: dict[str, Any]  # the report's timing
    report_path: Path | None
    video_path: Path | None  # None when no frame was written
    complete: bool
    skipped_frames: int  # frames of a damaged video that could not be decoded


def _coach_source(
    args: argparse.Namespace,
    pose: PoseSpec,
    live: bool,
    progress: Callable[[int, int], None] | None = None,
) -> Coached:
    """Coach one source as `args` say (the webcam when `live`, else `args.source`), writing
    its report, its video and any --signals, --plot and --record files; prints nothing but
    the no-screen warning. `progress(analysed, total)` follows every analysed frame (`total`:
    the frames there are to analyse, 0 when unknown)."""
    # Imported here so that 'posecoach poses' and argument errors stay quick.
    from datetime import datetime

    from posecoach.coaching.coach import Assessment, Coach
    from posecoach.model.opening import open_source
    from posecoach.output.sinks import has_display
    from posecoach.reports.history import History
    from posecoach.reports.htmlreport import StretchSection, session_header, write_html
    from posecoach.reports.signals import SignalTable
    from posecoach.run.interrupts import sigint_deferred
    from posecoach.run.pipeline import Outputs, run_session

    stem = f"live_{pose.id}" if live else f"{Path(args.source).stem}_{pose.id}"
    report_path = _writable(args.report or DEFAULT_OUT_DIR / f"{stem}.json", "report")
    signals_path = _output_file(args.signals, ".csv", "signals") if args.signals else None
    plot_path = _output_file(args.plot, ".png", "plot") if args.plot else None
    html = vars(args).get("html")
    html_path = _output_file(html, ".html", "HTML report") if html else None
    source = _camera(args) if live else open_source(args.source, image_fps=args.image_fps)
    video_path = args.out if (live or args.out) else DEFAULT_OUT_DIR / f"{stem}.mp4"
    if not live and source.independent_frames and args.out is None:
        video_path = None  # stills: the report is the result; ask for --out to get a video
    show_window = not args.no_window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    stride = 1 if live else args.stride
    try:
        if video_path is not None:
            _writable(video_path, "video")
        wanted = signals_path or plot_path or html_path
        signals = SignalTable(pose, source.name) if wanted else None
        estimator, model_name = _estimator(args, source)
    except BaseException:
        source.close()
        raise
    try:
        total = -(-len(source) // stride)  # a video's count is the container's: may be 0
    except TypeError:  # a camera has no length
        total = 0
    analysed = 0

    def on_frame(assessment: Assessment) -> None:
        nonlocal analysed
        if signals is not None:
            signals.add(assessment)
        if progress is not None:
            analysed += 1
            progress(analysed, total)

    outputs = Outputs(
        report_path=report_path,
        video_path=video_path,
        window_title=f"posecoach - {pose.name}" if show_window else None,
        mirror=live and not args.no_mirror,
        on_frame=None if signals is None and progress is None else on_frame,
        voice=_open_voice(args, live),
    )
    coach = Coach(pose)
    coach.muted = args.mute
    started_at = datetime.now().astimezone()  # for the history
    try:
        result = run_session(source, estimator, coach, outputs, model_name, stride=stride)
    finally:
        with sigint_deferred():  # a second Ctrl-C cuts neither the recording nor the signals
            if outputs.voice is not None:
                outputs.voice.close()  # no engine left speaking
            if estimator is not None:
                estimator.close()
            if signals is not None:  # the frames so far, however the session ended
                signals.write(signals_path, plot_path)
    report = result.report
    if result.interrupted:
        code = _stopped_code(result.interrupted)
    elif report["skipped_frames"]:
        # A damaged video (the source has said which frames): the report covers the rest.
        code = EXIT_ERROR
    elif report["frames"] > 0 and report["detected_fraction"] == 0:
        code = EXIT_NOBODY
    else:
        code = EXIT_OK
    if html_path is not None:
        with sigint_deferred():  # the same frames as the report, however the session ended
            section = StretchSection.from_session(report, pose, signals, result.snapshots)
            header = session_header(report, started_at.isoformat(timespec="seconds"))
            write_html(html_path, f"posecoach: {pose.name}", header, [section])
    if live and report["detected_fraction"] > 0 and not vars(args).get("no_history"):
        with sigint_deferred():  # the report is saved already; a Ctrl-C now cuts nothing
            _save_history(lambda: History().record_report(report, "live", started_at))
    return Coached(
        source=source.name,
        code=code,
        frames=report["frames"],
        detected_fraction=report["detected_fraction"],
        in_position_fraction=report["in_position_fraction"],
        reps=report["reps"],
        hold_s=report["hold_s"],
        sides={
            side: {"reps": values["reps"], "hold_s": values["hold_s"]}
            for side, values in (report.get("sides") or {}).items()
        },
        timing=report["timing"],
        report_path=result.report_path,
        video_path=result.video_path,
        complete=report["complete"],
        skipped_frames=report["skipped_frames"],
    )


def _open_voice(args: argparse.Namespace, live: bool) -> Voice | None:
    """The voice that speaks the cues: live, on unless --no-voice (then muted: v turns it
    on); a replay, only with --voice. Its notices (no engine, an engine that fails) go to
    stderr, once."""
    from posecoach.output.speech import open_voice

    if not live and not vars(args).get("voice"):
        return None

    def notify(message: str) -> None:
        print(f"posecoach: {message}", file=sys.stderr)

    return open_voice(muted=live and bool(vars(args).get("no_voice")), notify=notify)


def _save_history(save: Callable[[], Saved]) -> None:
    """Run a history save, printing its lines (a busy or damaged database, ...) on stderr;
    a failure is one line too: what called this has saved its report already."""
    try:
        saved = save()
    except (PosecoachError, OSError) as error:
        print(f"posecoach: the history was not saved: {error}", file=sys.stderr)
        return
    for message in saved.messages:
        print(f"posecoach: {message}", file=sys.stderr)


def _cmd_history(args: argparse.Namespace) -> int:
    """`posecoach history`: progress per stretch from the history database."""
    from posecoach.reports import history

    plot_path = _output_file(args.plot, ".png", "plot") if args.plot is not None else None
    store = history.History(args.db)
    records, messages = store.load()
    for message in messages:
        print(f"posecoach: {message}", file=sys.stderr)
    stretches = history.progress(records, args.pose, history.catalogue_measure)
    if not stretches:
        if args.pose is not None and records:
            done = sorted({s.pose for r in records for s in r.stretches})
            print(f"No sessions of {args.pose} in the history yet (it has: {', '.join(done)}).")
        else:
            print(
                f"No sessions in the history yet ({store.path}): 'posecoach live --pose ID' "
                "and 'posecoach session' add one each time."
            )
        return EXIT_OK
    if args.pose is not None:
        print("\n".join(history.sessions_lines(stretches[0])))
    else:
        sessions = sum(1 for r in records if any(s.status != "skipped" for s in r.stretches))
        print(f"History: {sessions} session{'' if sessions == 1 else 's'} in {store.path}\n")
        print("\n".join(history.overview_lines(stretches)))
    if plot_path is not None:
        try:
            history.plot(stretches, plot_path)
        except OSError as error:
            raise PosecoachError(
                f"cannot write plot {plot_path}: {error.strerror or error}"
            ) from error
        print(f"plot: {plot_path}")
    return EXIT_OK


def _amount_text(pose: PoseSpec, coached: Coached) -> str:
    """'3 reps' or '12.5 s held', with each side's for a stretch done per side."""
    text = (
        f"{coached.reps} rep{'' if coached.reps == 1 else 's'}"
        if pose.mode is Mode.REPS
        else f"{coached.hold_s:.1f} s held"
    )
    if pose.per_side and coached.sides:
        text += f" ({_totals_text(coached.sides, pose)})"
    return text


def _run(args: argparse.Namespace, live: bool) -> int:
    pose = _pose(args)
    coached = _coach_source(args, pose, live)
    print(
        f"{pose.name}: {_amount_text(pose, coached)} over {coached.frames} frames "
        f"(person found in {coached.detected_fraction:.0%})"
    )
    timing = coached.timing
    if timing.get("latency_ms"):
        latency = timing["latency_ms"]
        print(
            f"camera: {timing['analysed_fps']:.1f} frames/s analysed, latency "
            f"{latency['median']:.0f} ms (95% under {latency['p95']:.0f} ms), "
            f"{timing['dropped_frames']} stale frames dropped"
        )
    print(f"report: {coached.report_path}")
    if coached.video_path is not None:
        print(f"video:  {coached.video_path}")
    if args.signals is not None:
        print(f"signals: {args.signals}")
    if args.plot is not None:
        print(f"plot:   {args.plot}")
    if vars(args).get("html") is not None:
        print(f"html:   {args.html}")
    if args.record is not None:
        print(f"recording: {args.record}")
    if coached.code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        stopped = (
            "stopped by SIGTERM" if coached.code == EXIT_TERMINATED else "interrupted (Ctrl-C)"
        )
        print(f"posecoach: {stopped}; the report and video so far are saved", file=sys.stderr)
    elif coached.code == EXIT_NOBODY:
        print(
            f"posecoach: nobody was found in {coached.source}: make sure the whole body is in "
            "view and well lit",
            file=sys.stderr,
        )
    return coached.code


def _stopped_code(interrupt: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM stops the command as Ctrl-C does: `errors.Terminated`, a KeyboardInterrupt, is
    raised in the main thread, so every Ctrl-C path saves what it has. Not where signals
    cannot be set (another thread) or SIGTERM is ignored (the parent wanted it so)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="posecoach: %(levelname)s: %(message)s",
    )
    with _sigterm_stops():
        return _main(args)


def _main(args: argparse.Namespace) -> int:
    try:
        if "pose_dirs" in vars(args):  # every command that takes --poses
            args.pose_dirs = _pose_dirs([*args.pose_dirs, *vars(args).get("show_pose_dirs", [])])
        if "set_values" in vars(args):  # every command that takes --overrides and --set
            args.overrides = _overrides(args)
        if args.command == "poses":
            return _cmd_poses(args)
        if args.command == "synth":
            return _cmd_synth(args)
        if args.command == "evalset":
            return _cmd_evalset(args)
        if args.command == "demo":
            return _cmd_demo(args)
        if args.command == "record":
            return _cmd_record(args)
        if args.command == "eval":
            return _cmd_eval(args)
        if args.command == "tune":
            return _cmd_tune(args)
        if args.command == "session":
            from posecoach.cli.session import run_session_command

            return run_session_command(args)
        if args.command == "replay":
            return _cmd_replay(args)
        if args.command == "history":
            return _cmd_history(args)
        return _run(args, live=True)
    except PosecoachError as error:
        if args.debug:
            traceback.print_exc()
        print(f"posecoach: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as interrupt:  # Ctrl-C or SIGTERM
        print(f"posecoach: {stop_reason(interrupt)}", file=sys.stderr)
        return _stopped_code(interrupt)


def _silence_native_logs() -> None:
    """Send the model runtime's native log lines (LiteRT writes "INFO: Created TensorFlow Lite
    XNNPACK delegate" straight to file descriptor 2 when a model loads) nowhere.

    Python's own stderr keeps a duplicate of the original descriptor, so posecoach's messages
    and errors still reach the terminal. POSECOACH_NATIVE_LOGS=1 keeps the native lines.
    """
    if os.environ.get("POSECOACH_NATIVE_LOGS"):
        return
    try:
        sys.stderr.flush()
        kept = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        return
    sys.stderr = os.fdopen(kept, "w", buffering=1, encoding="utf-8", errors="replace")


def run() -> None:
    """The console script's entry point."""
    if "--debug" not in sys.argv:
        _silence_native_logs()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`posecoach poses show ID | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    run()
