"""Coaching one source, as `live`, `replay` (each file of a batch too) and `demo` do: the typed
options (`CoachOptions`), the session with its outputs (`coach_source`), what it gave
(`Coached`) and the lines printed after it (`run_one`)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posecoach.cli.common import (
    DEFAULT_OUT_DIR,
    CameraOptions,
    camera,
    chosen_pose,
    open_voice,
    output_file,
    save_history,
    screen_state,
    totals_text,
    writable,
)
from posecoach.cli.exitcodes import ExitCode, stopped_code
from posecoach.coaching.overrides import Overrides
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.config.errors import PosecoachError

if TYPE_CHECKING:
    from posecoach.inputs.sources import FrameSource
    from posecoach.model.estimator import PoseEstimator


@dataclasses.dataclass(frozen=True)
class CoachOptions:
    """How to coach one source: `live`'s and `replay`'s options, read from the command line
    by `from_args`, or set by `demo` and by a batch for each of its files."""

    pose_id: str
    source: Path | None = None  # None: the camera (live)
    pose_file: Path | None = None
    pose_dirs: tuple[Path, ...] = ()
    overrides: Overrides | None = None  # None: the pose files' values as they are
    model: Path | None = None
    threads: int | None = None
    report: Path | None = None  # None: posecoach_out/STEM_POSE.json
    out: Path | None = None  # None: live, no video; a replay, posecoach_out/STEM_POSE.mp4
    signals: Path | None = None
    plot: Path | None = None
    html: Path | None = None
    record: Path | None = None
    window: bool = True
    developer: bool = False  # rule ids, values and speed over the picture
    mute: bool = False  # no form cues or praise
    image_fps: float = 30.0  # a folder of images
    stride: int = 1  # a replay analyses every Nth frame
    voice: bool = False  # a replay speaks the cues (live always opens the voice)
    voice_muted: bool = False  # live: the voice starts off
    mirror: bool = True  # live: the window mirrored
    history: bool = True  # live: the session's numbers go to the history
    camera: CameraOptions = dataclasses.field(default_factory=CameraOptions)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CoachOptions:
        """From `live`'s or `replay`'s parsed arguments (a replay of the one SOURCE given)."""
        given = vars(args)
        sources = given.get("sources")
        return cls(
            pose_id=args.pose,
            source=sources[0] if sources else None,
            pose_file=args.pose_file,
            pose_dirs=tuple(args.pose_dirs),
            overrides=given.get("overrides"),
            model=args.model,
            threads=args.threads,
            report=args.report,
            out=args.out,
            signals=args.signals,
            plot=args.plot,
            html=args.html,
            record=args.record,
            window=not args.no_window,
            developer=bool(given.get("developer")),
            mute=args.mute,
            image_fps=given.get("image_fps", 30.0),
            stride=given.get("stride", 1),
            voice=bool(given.get("voice")),
            voice_muted=bool(given.get("no_voice")),
            mirror=not given.get("no_mirror"),
            history=not given.get("no_history"),
            camera=CameraOptions.from_args(args) if "camera" in given else CameraOptions(),
        )

    @property
    def live(self) -> bool:
        """True when coaching from the camera."""
        return self.source is None

    def pose(self) -> PoseSpec:
        """The stretch to coach, with the run's overrides applied."""
        return chosen_pose(self.pose_id, self.pose_file, self.pose_dirs, self.overrides)


@dataclasses.dataclass(frozen=True)
class Coached:
    """One source coached: its report's figures, where its outputs went, and the exit code.
    Small and picklable: what a `replay` worker process sends back for each file."""

    source: str  # the source's name, as in the report
    # OK, NOBODY (nobody found anywhere), ERROR (damaged frames left out), INTERRUPTED or
    # TERMINATED
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


def coach_source(
    options: CoachOptions,
    pose: PoseSpec,
    progress: Callable[[int, int], None] | None = None,
) -> Coached:
    """Coach one source as `options` say (the camera when `options.live`), writing its
    report, its video and any --signals, --plot, --html and --record files; prints nothing
    but the no-screen warning. `progress(analysed, total)` follows every analysed frame
    (`total`: the frames there are to analyse, 0 when unknown)."""
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

    live = options.live
    stem = f"live_{pose.id}" if options.source is None else f"{options.source.stem}_{pose.id}"
    report_path = writable(options.report or DEFAULT_OUT_DIR / f"{stem}.json", "report")
    signals_path = output_file(options.signals, ".csv", "signals") if options.signals else None
    plot_path = output_file(options.plot, ".png", "plot") if options.plot else None
    html_path = output_file(options.html, ".html", "HTML report") if options.html else None
    if options.source is None:
        source = camera(options.camera)
    else:
        source = open_source(options.source, image_fps=options.image_fps)
    video_path = options.out if (live or options.out) else DEFAULT_OUT_DIR / f"{stem}.mp4"
    if not live and source.independent_frames and options.out is None:
        video_path = None  # stills: the report is the result; ask for --out to get a video
    show_window = options.window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    stride = 1 if live else options.stride
    try:
        if video_path is not None:
            writable(video_path, "video")
        wanted = signals_path or plot_path or html_path
        signals = SignalTable(pose, source.name) if wanted else None
        estimator, model_name = _estimator(options, source)
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

    # The voice: live, on unless --no-voice (then muted: v turns it on); a replay, only with
    # --voice.
    speaks = live or options.voice
    outputs = Outputs(
        report_path=report_path,
        video_path=video_path,
        window_title=f"posecoach - {pose.name}" if show_window else None,
        mirror=live and options.mirror,
        on_frame=None if signals is None and progress is None else on_frame,
        voice=open_voice(muted=live and options.voice_muted) if speaks else None,
        screen=screen_state(options.developer, show_window),
    )
    coach = Coach(pose)
    coach.muted = options.mute
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
    found = report.detected_fraction or 0.0
    code: int
    if result.interrupted:
        code = stopped_code(result.interrupted)
    elif report.skipped_frames:
        # A damaged video (the source has said which frames): the report covers the rest.
        code = ExitCode.ERROR
    elif report.frames > 0 and found == 0:
        code = ExitCode.NOBODY
    else:
        code = ExitCode.OK
    if html_path is not None:
        with sigint_deferred():  # the same frames as the report, however the session ended
            section = StretchSection.from_session(report, pose, signals, result.snapshots)
            header = session_header(report, started_at.isoformat(timespec="seconds"))
            write_html(html_path, f"posecoach: {pose.name}", header, [section])
    if live and found > 0 and options.history:
        with sigint_deferred():  # the report is saved already; a Ctrl-C now cuts nothing
            save_history(lambda: History().record_report(report, "live", started_at))
    return Coached(
        source=source.name,
        code=code,
        frames=report.frames,
        detected_fraction=found,
        in_position_fraction=report.in_position_fraction or 0.0,
        reps=report.reps,
        hold_s=report.hold_s,
        sides={
            side: {"reps": values.reps, "hold_s": values.hold_s}
            for side, values in report.sides.items()
        },
        timing=report.timing,
        report_path=result.report_path,
        video_path=result.video_path,
        complete=bool(report.complete),
        skipped_frames=report.skipped_frames,
    )


def _estimator(options: CoachOptions, source: FrameSource) -> tuple[PoseEstimator | None, str]:
    """The pose model for `source` and its name (see `open_input`), recording what it finds
    with --record. None for a recording: its landmarks were found when it was made."""
    from posecoach.model.opening import open_input
    from posecoach.model.recording import RecordingSource, recording_estimator, recording_path

    if isinstance(source, RecordingSource):
        for option, value in (("model", options.model), ("record", options.record)):
            if value is not None:
                raise PosecoachError(
                    f"--{option}: {source.name} is a recording of the landmarks "
                    f"{source.model_name} found: leave out --{option}"
                )
    elif options.record is not None:
        writable(recording_path(options.record), "recording")
    opened = open_input(source, options.model, options.threads)
    if opened.estimator is None or options.record is None:
        return opened.estimator, opened.model_name
    return recording_estimator(opened.estimator, options.record, source), opened.model_name


def amount_text(pose: PoseSpec, coached: Coached) -> str:
    """'3 reps' or '12.5 s held', with each side's for a stretch done per side."""
    text = (
        f"{coached.reps} rep{'' if coached.reps == 1 else 's'}"
        if pose.mode is Mode.REPS
        else f"{coached.hold_s:.1f} s held"
    )
    if pose.per_side and coached.sides:
        text += f" ({totals_text(coached.sides, pose)})"
    return text


def run_one(options: CoachOptions) -> int:
    """Coach one source and print what it gave and where its outputs went; the exit code."""
    pose = options.pose()
    coached = coach_source(options, pose)
    print(
        f"{pose.name}: {amount_text(pose, coached)} over {coached.frames} frames "
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
    if options.signals is not None:
        print(f"signals: {options.signals}")
    if options.plot is not None:
        print(f"plot:   {options.plot}")
    if options.html is not None:
        print(f"html:   {options.html}")
    if options.record is not None:
        print(f"recording: {options.record}")
    if coached.code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        stopped = (
            "stopped by SIGTERM" if coached.code == ExitCode.TERMINATED else "interrupted (Ctrl-C)"
        )
        print(f"posecoach: {stopped}; the report and video so far are saved", file=sys.stderr)
    elif coached.code == ExitCode.NOBODY:
        print(
            f"posecoach: nobody was found in {coached.source}: make sure the whole body is in "
            "view and well lit",
            file=sys.stderr,
        )
    return coached.code
