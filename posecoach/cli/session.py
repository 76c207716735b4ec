"""`posecoach session`: the command around `posecoach.run.session` (routine, source, voice,
outputs: the session's JSON, its HTML report beside it, the history)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from posecoach.cli.common import (
    DEFAULT_OUT_DIR,
    CameraOptions,
    camera,
    open_voice,
    output_file,
    save_history,
    screen_state,
    writable,
)
from posecoach.cli.exitcodes import ExitCode, stopped_code
from posecoach.coaching.routine import find_routine, routine_files
from posecoach.config.errors import PosecoachError

if TYPE_CHECKING:
    from posecoach.inputs.sources import FrameSource
    from posecoach.reports.summary import SideSummary, StretchSummary
    from posecoach.run.session import GuidedResult


def run(args: argparse.Namespace) -> int:
    """List the routines (--list), or lead the one --routine names on the camera or SOURCE,
    writing its JSON, its HTML report and the history; the exit code."""
    # Imported here so that the other commands start quickly.
    from posecoach.model.opening import open_input, open_source
    from posecoach.output.sinks import has_display
    from posecoach.output.speech import DEFAULT_RATE_WPM
    from posecoach.run.interrupts import sigint_deferred
    from posecoach.run.session import Guide, GuidedOutputs, run_guided, session_stem

    if args.list:
        for routine_id, path in routine_files().items():
            try:
                routine = find_routine(str(path), args.pose_dirs)
            except PosecoachError as error:  # one broken file does not hide the others
                print(f"{routine_id:20s} (cannot be used: {error})")
                continue
            steps = ", ".join(f"{s.pose.id} ({s.amount_text})" for s in routine.steps)
            print(f"{routine_id:20s} {routine.name}: {steps}")
        return ExitCode.OK
    if args.routine is None:
        needs = "add --routine ID (see 'posecoach session --list')"
        if args.no_window:
            raise PosecoachError(f"which routine? {needs}")
        from posecoach.cli.menu import choose_in_window, routine_items

        choice = choose_in_window(routine_items(args.pose_dirs), "Choose a routine", needs)
        if choice is None:
            return ExitCode.OK
        args.routine = choice.id
    routine = find_routine(args.routine, args.pose_dirs)
    stem = session_stem(routine)
    report_path = output_file(
        args.report or DEFAULT_OUT_DIR / f"{stem}.json", ".json", "session report"
    )
    html_path = report_path.with_suffix(".html")
    if args.out is not None:
        writable(args.out, "video")
    live = args.source is None
    source: FrameSource
    if live:
        source = camera(CameraOptions.from_args(args))
    else:
        if args.camera_video is not None:
            raise PosecoachError("give either SOURCE or --camera-video, not both")
        source = open_source(args.source)
        if source.independent_frames:
            source.close()
            raise PosecoachError(
                f"{args.source} holds stills: a session needs a video or a recording of it"
            )
    show_window = not args.no_window
    if show_window and not has_display():
        print("posecoach: no screen found, running without a window", file=sys.stderr)
        show_window = False
    opened = open_input(source, args.model, args.threads)  # no model for a recording
    estimator, model_name = opened.estimator, opened.model_name
    # The voice leads a session in real time; a file analysed at full speed runs silent.
    voice = open_voice(muted=args.no_voice) if source.realtime else None
    speaking = voice is not None and voice.available and not voice.muted
    guide = Guide(routine, source.name, model_name, DEFAULT_RATE_WPM if speaking else None)
    outputs = GuidedOutputs(
        report_path=report_path,
        video_path=args.out,
        window_title=f"posecoach - {routine.name}" if show_window else None,
        mirror=live and not args.no_mirror,
        screen=screen_state(args.developer, show_window),
    )
    print(f"posecoach session: {routine.name} ({len(routine.steps)} stretches) on {source.name}")
    try:
        result = run_guided(source, estimator, guide, outputs, voice)
    finally:
        with sigint_deferred():
            if estimator is not None:
                estimator.close()
            if voice is not None:  # the last words ("... complete") are said
                voice.close(finish_s=3.0 if guide.done and guide.failure is None else 0.0)
    _write_html(result, routine.name, html_path)
    if not args.no_history:
        from posecoach.reports import history

        save_history(lambda: history.record_session(result.summary))
    _print_summary(result)
    print(f"report: {report_path}")
    print(f"html:   {html_path}")
    if args.out is not None:
        print(f"video:  {args.out}")
    if result.interrupted is not None and not result.summary.complete:
        return stopped_code(result.interrupted)
    if result.summary.ended_by == "stopped by the user":
        return ExitCode.OK
    # The routine ran to its end: every stretch done, or skipped on purpose.
    finished = all(run.status in ("done", "skipped") for run in result.runs)
    return ExitCode.OK if finished and not result.summary.skipped_frames else ExitCode.ERROR


def _write_html(result: GuidedResult, title: str, path: Path) -> None:
    from posecoach.reports.htmlreport import StretchSection, write_html
    from posecoach.reports.summary import StretchSummary
    from posecoach.run.interrupts import sigint_deferred

    summary = result.summary
    sections = []
    for run, entry in zip(result.runs, summary.stretches, strict=True):
        report = entry.report or StretchSummary(pose=run.step.pose.id, pose_name=run.step.pose.name)
        sections.append(
            StretchSection.from_session(
                report, run.step.pose, run.signals, run.snapshots, status=run.status
            )
        )
    header = {
        "routine": summary.routine_name,
        "started_at": summary.started_at,
        "source": summary.source,
        "duration_s": summary.duration_s,
        "complete": summary.complete,
        "ended_by": summary.ended_by,
    }
    with sigint_deferred():
        write_html(path, f"posecoach: {title}", header, sections)


def _amount(report: StretchSummary, values: StretchSummary | SideSummary) -> str:
    if report.mode == "reps":
        return f"{values.reps} reps"
    return f"{values.hold_s:.1f} s"


def _print_summary(result: GuidedResult) -> None:
    summary = result.summary
    for entry in summary.stretches:
        report = entry.report
        head = f"  {entry.step}. {entry.pose_name}: {entry.status}"
        if report is None:
            print(head)
            continue
        amounts = [f"{side} {_amount(report, values)}" for side, values in report.sides.items()]
        amounts = amounts or [_amount(report, report)]
        print(f"{head}: {', '.join(amounts)}, {report.good_form_s:.0f} s in good form")
    state = "complete" if summary.complete else f"not complete ({summary.ended_by})"
    print(f"{summary.routine_name}: {state}, {summary.duration_s:.0f} s")
