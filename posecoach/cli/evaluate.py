"""`posecoach eval`: measure accuracy on generated clips or labelled footage."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from posecoach.cli.common import table, writable
from posecoach.cli.exitcodes import ExitCode
from posecoach.coaching.overrides import Overrides
from posecoach.coaching.posefile import load_pose
from posecoach.config.errors import PosecoachError


def run(args: argparse.Namespace) -> int:
    """Coach every clip of the folder or labels file, print the table and the summary, and
    write the report with --report."""
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
    report_path = writable(args.report, "report") if args.report is not None else None
    print(f"posecoach eval: {len(jobs)} clip-stretch pairs from {args.input}", file=sys.stderr)
    rows = run_jobs(jobs, args.workers, progress=lambda line: print(line, file=sys.stderr))
    summary = summarize(rows)
    print("\n".join(table(row_cells(rows))))
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
    return ExitCode.OK
