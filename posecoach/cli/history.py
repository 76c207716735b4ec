"""`posecoach history`: progress per stretch from the history database, as tables and an
optional plot."""

from __future__ import annotations

import argparse
import sys

from posecoach.cli.common import output_file
from posecoach.cli.exitcodes import ExitCode
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """`posecoach history`: progress per stretch from the history database."""
    from posecoach.reports import history

    plot_path = output_file(args.plot, ".png", "plot") if args.plot is not None else None
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
        return ExitCode.OK
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
    return ExitCode.OK
