"""`posecoach replay`: coach one recorded source, or several files at once (`cli.batch`)."""

from __future__ import annotations

import argparse
import dataclasses

from posecoach.cli.coach_one import CoachOptions, run_one
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """Coach the sources the parsed `replay` arguments name; the exit code (with several
    files, the most serious of theirs)."""
    from posecoach.cli.batch import run_batch
    from posecoach.cli.batch_jobs import batch_files

    files = batch_files(args.sources)
    options = CoachOptions.from_args(args)
    if files is None:  # one source: a file, or a folder of images coached as stills
        return run_one(options)
    if options.html is not None:
        raise PosecoachError(
            f"--html {options.html}: an HTML report is for one source; coach the files one at "
            "a time"
        )
    # Workers coaching at once would speak over each other.
    options = dataclasses.replace(options, voice=False)
    return run_batch(options, files, workers=args.workers, debug=args.debug)
