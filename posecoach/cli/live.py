"""`posecoach live`: coach from a webcam (or a video played as one); without --pose, a menu
in the window offers the stretches and routines."""

from __future__ import annotations

import argparse

from posecoach.cli import session
from posecoach.cli.coach_one import CoachOptions, run_one
from posecoach.cli.exitcodes import ExitCode
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """Coach the camera as the parsed `live` arguments say; the exit code."""
    if args.pose is None:
        from posecoach.cli.menu import choose_in_window, routine_items, stretch_items

        if args.no_window:
            raise PosecoachError("which stretch? add --pose ID (see 'posecoach poses')")
        items = stretch_items(args.pose_dirs) + routine_items(args.pose_dirs)
        choice = choose_in_window(
            items, "Choose a stretch or a routine", "add --pose ID (see 'posecoach poses')"
        )
        if choice is None:
            return ExitCode.OK
        if choice.kind == "routine":
            # A routine is led as `posecoach session --routine ID` on this camera would.
            return session.run(
                argparse.Namespace(
                    **{**vars(args), "routine": choice.id, "list": False, "source": None}
                )
            )
        args.pose = choice.id
    return run_one(CoachOptions.from_args(args))
