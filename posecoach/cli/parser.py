"""The `posecoach` command line's parser: every command, its arguments and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecoach import __version__
from posecoach.cli import argtypes
from posecoach.coaching.overrides import OVERRIDES_ENV
from posecoach.coaching.posefile import USER_POSES_ENV
from posecoach.synth import LOOKALIKE_IDS

DEFAULT_SAMPLE = "half_kneeling_both_sides"


def add_pose_dirs(parser: argparse.ArgumentParser, dest: str = "pose_dirs") -> None:
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


def add_model(parser: argparse.ArgumentParser) -> None:
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
        type=argtypes.whole,
        metavar="N",
        help="threads the pose model runs on (default: 2 on a machine with 2 cores or more; "
        "1 per file when several files run at once)",
    )


def add_camera_settings(parser: argparse.ArgumentParser) -> None:
    """--width, --height and --fps: what to ask of the camera."""
    parser.add_argument("--width", type=int, help="ask the camera for this frame width")
    parser.add_argument("--height", type=int, help="ask the camera for this frame height")
    parser.add_argument("--fps", type=argtypes.positive, help="ask the camera for this frame rate")


def add_camera(parser: argparse.ArgumentParser) -> None:
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
    add_camera_settings(parser)


def add_overrides(parser: argparse.ArgumentParser) -> None:
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


def add_coaching(sub: argparse.ArgumentParser, menu: bool = False) -> None:
    """The options `live` and `replay` share: the stretch (with `menu`, chosen in the window
    when not given), its pose files and overrides, the model, and the outputs."""
    sub.add_argument(
        "--pose",
        required=not menu,
        metavar="ID",
        help="the stretch (see 'posecoach poses')"
        + ("; without it, a menu in the window offers the stretches and routines" if menu else ""),
    )
    sub.add_argument(
        "--pose-file",
        type=Path,
        metavar="FILE.toml",
        help="use this pose file instead of the catalogue's file for --pose",
    )
    add_pose_dirs(sub)
    add_overrides(sub)
    add_model(sub)
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
        "--developer",
        action="store_true",
        help="show rule ids, measured values and speed over the picture (d in the window)",
    )
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


def build_parser() -> argparse.ArgumentParser:
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
    add_pose_dirs(poses)
    pose_actions = poses.add_subparsers(dest="pose_action", metavar="ACTION")
    show = pose_actions.add_parser("show", help="a stretch's settings and every rule, explained")
    show.add_argument("pose_id", metavar="ID", help="the stretch (see 'posecoach poses')")
    add_pose_dirs(show, dest="show_pose_dirs")
    add_overrides(show)
    check = pose_actions.add_parser("check", help="validate pose files before using them")
    check.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE.toml",
        help="pose files to check (a folder: every .toml file in it)",
    )

    live = commands.add_parser("live", help="coach from a webcam")
    add_coaching(live, menu=True)
    add_camera(live)
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
    add_coaching(replay)
    replay.add_argument(
        "--image-fps",
        type=argtypes.positive,
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
        type=argtypes.whole,
        default=1,
        metavar="N",
        help="analyse every Nth frame only (default 1: every frame)",
    )
    replay.add_argument(
        "--workers",
        type=argtypes.whole,
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
    add_model(record)
    add_camera_settings(record)
    record.add_argument(
        "--image-fps",
        type=argtypes.positive,
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
    amount.add_argument(
        "--reps", type=argtypes.whole, metavar="N", help="reps per side (reps stretches)"
    )
    amount.add_argument(
        "--hold", type=argtypes.positive, metavar="S", help="seconds held per side (hold stretches)"
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
        "--seed", type=argtypes.natural, default=0, help="body, clothes and room (default 0)"
    )
    synth.add_argument(
        "--size", type=argtypes.size, default=(640, 480), metavar="WxH", help="default 640x480"
    )
    synth.add_argument(
        "--fps", type=argtypes.positive, default=30.0, help="frame rate (default 30)"
    )
    synth.add_argument(
        "--facing", choices=("left", "right"), help="which way the performer faces in the image"
    )
    synth.add_argument("--lighting", action="store_true", help="let the light drift slowly")
    synth.add_argument(
        "--blur", type=argtypes.non_negative, default=0.0, metavar="SIGMA", help="blur, pixels"
    )
    synth.add_argument(
        "--noise",
        type=argtypes.non_negative,
        default=0.0,
        metavar="SIGMA",
        help="sensor noise, grey levels",
    )
    synth.add_argument(
        "--pose-file", type=Path, metavar="FILE.toml", help="judge the truth with this pose file"
    )
    add_pose_dirs(synth)

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
    add_overrides(demo)

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
        "--workers",
        type=argtypes.whole,
        default=1,
        metavar="N",
        help="clips run at once (default 1)",
    )
    add_pose_dirs(evaluate)
    add_overrides(evaluate)

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
    add_camera(session)
    add_model(session)
    session.add_argument(
        "--report",
        type=Path,
        metavar="FILE.json",
        help="the session's JSON (default posecoach_out/session_ROUTINE_DATE.json; the HTML "
        "report goes beside it)",
    )
    session.add_argument("--out", type=Path, metavar="VIDEO", help="write the annotated video")
    session.add_argument("--no-window", action="store_true", help="run without a window")
    session.add_argument(
        "--developer",
        action="store_true",
        help="show rule ids, measured values and speed over the picture (d in the window)",
    )
    session.add_argument("--no-mirror", action="store_true", help="show the window unmirrored")
    session.add_argument("--no-voice", action="store_true", help="do not speak (v toggles)")
    session.add_argument("--no-history", action="store_true", help="keep it out of the history")
    add_pose_dirs(session)

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
    add_pose_dirs(tune)
    add_overrides(tune)
    return parser
