"""`posecoach live`: coach from a webcam (or a video played as one)."""

from __future__ import annotations

import argparse

from posecoach.cli.coach_one import CoachOptions, run_one


def run(args: argparse.Namespace) -> int:
    """Coach the camera as the parsed `live` arguments say; the exit code."""
    return run_one(CoachOptions.from_args(args))
