"""The `posecoach` command line: `main(argv) -> exit code`, testable in-process."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from posecoach import __version__
from posecoach.errors import PosecoachError, PoseFileError
from posecoach.posefile import (
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
from posecoach.rules import Rule, When

log = logging.getLogger("posecoach")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOBODY = 3
EXIT_INTERRUPTED = 130

DEFAULT_OUT_DIR = Path("posecoach_out")
DEFAULT_SAMPLE = "half_kneeling_both_sides"


# How rule thresholds are written, by the rule kind's unit key; other keys print as they are.
UNIT_LABELS = {"deg": "deg", "torso": "torso lengths", "torso_per_s": "torso lengths per second"}
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
        sub.add_argument(
            "--model",
            type=Path,
            metavar="FILE.task",
            help="a MediaPipe pose landmarker .task model (default: the bundled full model)",
        )
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
            "--mute",
            action="store_true",
            help="no form cues or praise (set-up prompts still show; m in the window toggles)",
        )

    live = commands.add_parser("live", help="coach from a webcam")
    common(live)
    live.add_argument("--camera", type=int, default=0, metavar="N", help="camera index (default 0)")
    live.add_argument("--width", type=int, help="ask the camera for this frame width")
    live.add_argument("--height", type=int, help="ask the camera for this frame height")
    live.add_argument("--fps", type=_positive, help="ask the camera for this frame rate")
    live.add_argument("--no-mirror", action="store_true", help="show the window unmirrored")

    replay = commands.add_parser(
        "replay", help="coach a recorded video, an image or a folder of images"
    )
    replay.add_argument(
        "source", type=Path, metavar="SOURCE", help="video file, image, or folder of images"
    )
    common(replay)
    replay.add_argument(
        "--image-fps",
        type=_positive,
        default=30.0,
        help="frame rate for a folder of images (default 30)",
    )
    synth = commands.add_parser(
        "synth", help="generate a clip of a stretch with its exact ground truth"
    )
    synth.add_argument("--pose", required=True, metavar="ID", help="the stretch to perform")
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
    _add_pose_dirs(tune)
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
        return spec
    return load_pose(args.pose, args.pose_dirs)


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
        return _cmd_poses_show(load_pose(args.pose_id, args.pose_dirs))
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


def _threshold_text(rule: Rule) -> str:
    """The passing range in words: '80 to 100 deg', 'at most 0.05 torso lengths'."""
    unit = UNIT_LABELS.get(rule.spec.unit_key, rule.spec.unit_key)
    low, high = rule.min_value, rule.max_value
    if low is not None and high is not None:
        return f"{low:g} to {high:g} {unit}"
    if low is not None:
        return f"at least {low:g} {unit}"
    return f"at most {high:g} {unit}"


def _param_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).replace("_", " ")


def _rule_params_text(rule: Rule) -> str:
    """The rule's own keys and values, in the kind's order; unset optional keys with defaults."""
    kind = rule.spec
    parts = []
    for key in (*kind.required, *kind.optional):
        if key in rule.params:
            parts.append(f"{key} {_param_text(rule.params[key])}")
        elif key in kind.optional and kind.optional[key].default is not None:
            parts.append(f"{key} {_param_text(kind.optional[key].default)} (default)")
    return "; ".join(parts)


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
    lines = textwrap.wrap(text, TEXT_WIDTH - indent) or [""]
    return [(label if i == 0 else "").ljust(indent) + line for i, line in enumerate(lines)]


def _cmd_poses_show(spec: PoseSpec) -> int:
    lines = [f"{spec.name} ({spec.id})"]
    for paragraph in spec.description.split("\n\n"):
        lines.append("")
        lines += textwrap.wrap(paragraph, TEXT_WIDTH, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    settings = [
        ("view", f"{spec.view.value} ({_VIEW_TEXT[spec.view]})"),
        ("mode", spec.mode.value),
        ("target", spec.target_label),
        (
            "sides",
            f"per side; the working side is the {spec.working} leg's side"
            if spec.per_side
            else "not per side (one total)",
        ),
    ]
    if spec.counter is not None:
        signal = spec.rule(spec.counter.signal)
        unit = UNIT_LABELS.get(signal.spec.unit_key, signal.spec.unit_key)
        start, peak = f"{spec.counter.start:g}", f"{spec.counter.peak:g}"
        if spec.counter.rising:
            motion = f"rises from {start} or less to {peak} or more"
        else:
            motion = f"falls from {start} or more to {peak} or less"
        settings.append(("rep counter", f"{signal.id} ({unit}) {motion} and back: one rep"))
    settings.append(("file", str(spec.path)))
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
        lines += _wrapped("    measures", _rule_params_text(rule), 16)
        lines += _wrapped("    passes at", _threshold_text(rule), 16)
        lines += _wrapped("    cue", f'"{rule.cue}"', 16)
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
    from posecoach.synth.clip import ClipSpec, check_clip_path, side_list, write_clip

    pose = _pose(args)
    if pose.mode is Mode.REPS and args.hold is not None:
        raise PosecoachError(f"{pose.id} is counted in reps: use --reps, not --hold")
    if pose.mode is Mode.HOLD and args.reps is not None:
        raise PosecoachError(f"{pose.id} is a hold: use --hold, not --reps")
    if not pose.per_side and args.side is not None:
        raise PosecoachError(f"{pose.id} is not done per side: leave out --side")
    defaults = ClipSpec(pose.id)
    spec = ClipSpec(
        pose_id=pose.id,
        sides=side_list(args.side, pose.per_side),
        reps=args.reps or defaults.reps,
        hold_s=args.hold or defaults.hold_s,
        fault=args.fault,
        view=args.view,
        seed=args.seed,
        size_wh=args.size,
        fps=args.fps,
        facing=args.facing,
        lighting=args.lighting,
        blur_px=args.blur,
        noise=args.noise,
    )
    spec.check()
    out = _writable(check_clip_path(args.out), "clip")
    truth = write_clip(spec, pose, out)
    print(f"clip:  {out} ({truth['frames']} frames, {truth['duration_s']:.1f} s)")
    print(f"truth: {out.with_name(out.stem + '.truth.json')}")
    print(f"true totals: {_totals_text(truth['totals'], pose)}")
    return EXIT_OK


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
    from posecoach.samples import bundled_samples

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
        pose=sample.pose_id,
        pose_file=None,
        pose_dirs=[],
        model=None,
        report=None,
        out=None,
        no_window=args.no_window,  # without a screen, replay falls back to no window
        image_fps=30.0,
        mute=False,
    )
    code = _run(replay, live=False)
    print(f"truth: {_totals_text(sample.totals, _pose(replay))} (from {sample.truth.name})")
    return code


def _cmd_eval(args: argparse.Namespace) -> int:
    from posecoach.evaluate import (
        find_jobs,
        report_data,
        row_cells,
        run_jobs,
        summarize,
        summary_lines,
    )
    from posecoach.report import write_json_atomic

    started = time.perf_counter()
    jobs = find_jobs(args.input, args.pose_dirs)
    report_path = _writable(args.report, "report") if args.report is not None else None
    print(f"posecoach eval: {len(jobs)} clip-stretch pairs from {args.input}", file=sys.stderr)
    rows = run_jobs(jobs, args.workers, progress=lambda line: print(line, file=sys.stderr))
    summary = summarize(rows)
    print("\n".join(_table(row_cells(rows))))
    print()
    print("\n".join(summary_lines(summary)))
    elapsed_s = time.perf_counter() - started
    if report_path is not None:
        write_json_atomic(report_path, report_data(args.input, rows, summary, elapsed_s))
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
    from posecoach.sinks import has_display

    pose = load_pose(args.pose, args.pose_dirs)
    if args.fit is None and args.source is None:
        raise PosecoachError("give a clip to tune on (SOURCE), or labelled clips with --fit")
    if args.fit is not None:
        from posecoach.fit import fit, load_fit_clips, result_lines

        def progress(line: str) -> None:
            print(line, file=sys.stderr)

        clips = load_fit_clips(pose, args.fit, args.pose_dirs, progress)
        result = fit(pose, clips)
        print(f"{pose.name}: fitted to {len(clips)} clip{'' if len(clips) == 1 else 's'}")
        print("\n".join(result_lines(result)))
        return EXIT_OK
    from posecoach.tune import FrameImages, Tuner, TuneWindow, load_stream

    if not has_display():
        raise PosecoachError("tune needs a screen for its window (or use --fit, which needs none)")
    print(f"measuring {args.source} (once) ...", file=sys.stderr)
    stream, stills = load_stream(args.source)
    tuner = Tuner(pose, stream, stills=stills)
    first = next((lm for lm, _, _ in stream if lm is not None), None)
    size = first.resolution_wh if first is not None else (640, 480)
    video = None if stills or Path(args.source).is_dir() else Path(args.source)
    images = FrameImages(video, size)

    def save(values: dict[str, float]) -> str:
        settings = " ".join(f"--set {pose.id}.{name}={value:g}" for name, value in values.items())
        return settings or "nothing changed"

    try:
        TuneWindow(tuner, images, save, title=f"posecoach tune - {pose.name}").run()
    finally:
        images.close()
    changed = tuner.changed()
    print(f"{pose.name}: {tuner.summary()}")
    for name, value in changed.items():
        print(f"  {name} = {value:g}")
    return EXIT_OK


def _run(args: argparse.Namespace, live: bool) -> int:
    # Imported here so that 'posecoach poses' and argument errors stay quick.
    from posecoach.coach import Coach
    from posecoach.estimator import create_estimator
    from posecoach.pipeline import Outputs, run_session
    from posecoach.sinks import has_display
    from posecoach.sources import CameraSource, FrameSource, open_source

    pose = _pose(args)
    stem = f"live_{pose.id}" if live else f"{Path(args.source).stem}_{pose.id}"
    report_path = _writable(args.report or DEFAULT_OUT_DIR / f"{stem}.json", "report")
    source: FrameSource
    if live:
        source = CameraSource(args.camera, width=args.width, height=args.height, fps=args.fps)
    else:
        source = open_source(args.source, image_fps=args.image_fps)
    video_path = args.out if (live or args.out) else DEFAULT_OUT_DIR / f"{stem}.mp4"
    if not live and source.independent_frames and args.out is None:
        video_path = None  # stills: the report is the result; ask for --out to get a video
    show_window = not args.no_window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    try:
        if video_path is not None:
            _writable(video_path, "video")
        estimator = create_estimator(args.model, static_images=source.independent_frames)
    except BaseException:
        source.close()
        raise
    outputs = Outputs(
        report_path=report_path,
        video_path=video_path,
        window_title=f"posecoach - {pose.name}" if show_window else None,
        mirror=live and not args.no_mirror,
    )
    coach = Coach(pose)
    coach.muted = args.mute
    try:
        result = run_session(source, estimator, coach, outputs, estimator.name)
    finally:
        estimator.close()
    report = result.report
    reps = report["reps"]
    summary = (
        f"{reps} rep{'' if reps == 1 else 's'}"
        if pose.mode is Mode.REPS
        else f"{report['hold_s']:.1f} s held"
    )
    if pose.per_side and report.get("sides"):
        summary += f" ({_totals_text(report['sides'], pose)})"
    print(
        f"{pose.name}: {summary} over {report['frames']} frames "
        f"(person found in {report['detected_fraction']:.0%})"
    )
    print(f"report: {result.report_path}")
    if result.video_path is not None:
        print(f"video:  {result.video_path}")
    if result.interrupted:
        print("posecoach: interrupted; the report and video so far are saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    if report["frames"] > 0 and report["detected_fraction"] == 0:
        print(
            f"posecoach: nobody was found in {source.name}: make sure the whole body is in view "
            "and well lit",
            file=sys.stderr,
        )
        return EXIT_NOBODY
    return EXIT_OK


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
    try:
        if "pose_dirs" in vars(args):  # every command that takes --poses
            args.pose_dirs = _pose_dirs([*args.pose_dirs, *vars(args).get("show_pose_dirs", [])])
        if args.command == "poses":
            return _cmd_poses(args)
        if args.command == "synth":
            return _cmd_synth(args)
        if args.command == "evalset":
            return _cmd_evalset(args)
        if args.command == "demo":
            return _cmd_demo(args)
        if args.command == "eval":
            return _cmd_eval(args)
        if args.command == "tune":
            return _cmd_tune(args)
        return _run(args, live=args.command == "live")
    except PosecoachError as error:
        if args.debug:
            traceback.print_exc()
        print(f"posecoach: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("posecoach: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _silence_native_logs() -> None:
    """Send MediaPipe's native log lines (written straight to file descriptor 2) nowhere.

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
