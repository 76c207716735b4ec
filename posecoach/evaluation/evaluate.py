"""How accurately posecoach coaches: clips whose truth is known, run through the coach as
`posecoach replay` runs them, and compared with that truth.

Two kinds of input:

- a folder of generated clips (`posecoach synth`): each `NAME.truth.json` with its video
  `NAME.mp4` (or a landmark recording of it, `posecoach record`) beside it. The truth has
  the reps and hold seconds per side, every rule's verdict in every frame, and which frames
  are truly in position.
- a labels file (JSON): clip path -> what is known about it (the stretch shown, reps, hold
  seconds, faults, what it is a negative for). See `load_labels` for the keys.

Every (clip, stretch) pair gives one `Row`; `summarize` turns the rows into the accuracy
figures. The clip-level fault definitions (`hold_flagged`, `reps_flagged`, `coach_flagged`,
`truth_failing`) are the ones the benchmarks use.

This module gathers the names `posecoach eval` uses from the modules that hold them:
`pairs` (what a pair is and gives), `metrics` (the comparisons), `labels` (truth sidecars
and labels files), `jobs` (finding the pairs, running one), `runner` (running them all) and
`summary` (the figures, the text and the report JSON).
"""

from posecoach.evaluation.jobs import find_jobs, run_job
from posecoach.evaluation.labels import (
    FORMS,
    LABELS_NAME,
    SIDES,
    TRUTH_SUFFIX,
    Label,
    LabelsError,
    jobs_from_labels,
    load_catalogue,
    load_labels,
    read_truth,
)
from posecoach.evaluation.metrics import (
    FLAGGED_SHARE,
    coach_flagged,
    form_rules,
    form_window_share,
    hold_flagged,
    in_pose_truth,
    measure,
    measured_reps,
    reps_flagged,
    truth_expected,
    truth_failing,
    verdict_agreement,
)
from posecoach.evaluation.pairs import TOTAL, Expected, FrameRecord, Job, Kind, Row
from posecoach.evaluation.runner import run_jobs
from posecoach.evaluation.summary import (
    EVAL_VERSION,
    FALSE_HOLD_S,
    HOLD_CLOSE_S,
    HOLD_GOAL_S,
    HOLD_GOAL_SHARE,
    NA,
    TABLE_HEADER,
    hold_within_goal,
    report_data,
    reps_within_goal,
    row_cells,
    summarize,
    summary_lines,
)

__all__ = [
    "EVAL_VERSION",
    "FALSE_HOLD_S",
    "FLAGGED_SHARE",
    "FORMS",
    "HOLD_CLOSE_S",
    "HOLD_GOAL_S",
    "HOLD_GOAL_SHARE",
    "LABELS_NAME",
    "NA",
    "SIDES",
    "TABLE_HEADER",
    "TOTAL",
    "TRUTH_SUFFIX",
    "Expected",
    "FrameRecord",
    "Job",
    "Kind",
    "Label",
    "LabelsError",
    "Row",
    "coach_flagged",
    "find_jobs",
    "form_rules",
    "form_window_share",
    "hold_flagged",
    "hold_within_goal",
    "in_pose_truth",
    "jobs_from_labels",
    "load_catalogue",
    "load_labels",
    "measure",
    "measured_reps",
    "read_truth",
    "report_data",
    "reps_flagged",
    "reps_within_goal",
    "row_cells",
    "run_job",
    "run_jobs",
    "summarize",
    "summary_lines",
    "truth_expected",
    "truth_failing",
    "verdict_agreement",
]
