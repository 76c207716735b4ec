"""What one (clip, stretch) pair of `posecoach eval` is and gives: its `Kind`, what is
`Expected` of it, the `Job` that runs it, the `FrameRecord`s kept of its frames and the `Row`
of its results."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.overrides import Overrides
from posecoach.coaching.posefile import PoseSpec
from posecoach.coaching.temporal import EventKind

# Side keys: "left"/"right" for a stretch done per side, "all" for one that is not, and
# "total" for the sum over both sides (a label that gives one number for a per-side stretch).
TOTAL = "total"


class Kind(enum.Enum):
    """What a (clip, stretch) pair is expected to show."""

    GENERATED = "generated"  # a generated clip: exact truth from its sidecar
    LABELLED = "labelled"  # real footage of the stretch, with what its label says
    NEGATIVE = "negative"  # something else: no reps, no hold
    NEAR_MISS = "near miss"  # almost the stretch: no reps, no hold, stills never in position


@dataclass(frozen=True)
class Expected:
    """What a label says about one (clip, stretch) pair; empty or None where it says nothing."""

    reps: Mapping[str, int] = field(default_factory=dict)  # side key -> reps
    hold_s: Mapping[str, float] = field(default_factory=dict)  # side key -> seconds
    faults: frozenset[str] | None = None  # the form rules that should be flagged
    still_in_position: bool | None = None  # stills: every frame in position (or none)
    wrong_form_s: tuple[tuple[float, float], ...] = ()  # windows [start, end] in seconds
    right_form_s: tuple[tuple[float, float], ...] = ()
    rep_window_frames: tuple[int, int] | None = None  # count reps only in these frames
    # When the person is truly in the stretch's position ([start, end] seconds; None: not
    # known, () never), and when the camera shows the stretch's own view (None: throughout).
    in_pose_s: tuple[tuple[float, float], ...] | None = None
    own_view_s: tuple[tuple[float, float], ...] | None = None
    hold_s_range: tuple[float, float] | None = None  # the acceptable total hold, seconds
    reps_range: tuple[int, int] | None = None  # the acceptable total reps


@dataclass(frozen=True)
class Job:
    """One (clip, stretch) pair to run. `skip` says why it cannot be run (a warning row)."""

    clip: str  # as shown in the table
    path: Path
    pose_id: str
    kind: Kind
    expected: Expected = field(default_factory=Expected)
    truth_path: Path | None = None
    pose_dirs: tuple[Path, ...] = ()
    skip: str | None = None
    overrides: Overrides | None = None  # values above the pose files (--overrides, --set)
    threads: int | None = None  # the pose model's threads (None: its default)


@dataclass(frozen=True)
class FrameRecord:
    """What the evaluation keeps of one frame's assessment (a clip's assessments are large)."""

    index: int
    t_s: float
    status: Status
    side: str | None  # the side key the frame's totals go to (None: not known yet)
    verdicts: Mapping[str, bool | None]  # rule id -> passed (None: could not be judged)
    rep_counted: bool

    @classmethod
    def from_assessment(cls, assessment: Assessment, pose: PoseSpec) -> FrameRecord:
        if not pose.per_side:
            side: str | None = "all"
        else:
            side = assessment.side.value if assessment.side is not None else None
        return cls(
            index=assessment.frame_index,
            t_s=assessment.timestamp_ms / 1000.0,
            status=assessment.status,
            side=side,
            verdicts={r.rule.id: r.passed for r in assessment.results},
            rep_counted=any(e.kind is EventKind.REP_COUNTED for e in assessment.events),
        )

    @property
    def in_position(self) -> bool:
        return self.status is Status.IN_POSITION


@dataclass
class Row:
    """The result of one (clip, stretch) pair. Counts are per side key, each as
    {"expected": value or None, "measured": value}; rule lists are sorted rule ids."""

    clip: str
    pose: str
    kind: str
    mode: str | None = None
    still: bool = False
    frames: int = 0
    found_frames: int = 0  # frames in which the model found a person
    in_position_frames: int = 0  # frames the coach judged in position
    still_in_position: bool | None = None  # stills: expected in position in every frame / none
    reps: dict[str, dict[str, Any]] = field(default_factory=dict)
    hold_s: dict[str, dict[str, Any]] = field(default_factory=dict)
    agreement: float | None = None  # share of (frame, rule) verdicts equal to the truth's
    unknown_share: float | None = None  # share of (frame, rule) pairs the coach could not judge
    form_rules: list[str] = field(default_factory=list)  # the rules that can be flagged
    flagged: list[str] | None = None
    failing: list[str] | None = None  # truly failing (generated) or expected (labels)
    wrong_form_share: float | None = None  # in-position frames failing a form rule, per window
    right_form_share: float | None = None
    # Per frame, in the stretch's own view, against the in-position truth (None: no truth):
    in_pose_frames: int | None = None  # truly in position
    in_position_in_view: int | None = None  # judged in position by the coach
    in_pose_hits: int | None = None  # both
    hold_s_range: list[float] | None = None
    reps_range: list[int] | None = None
    skipped: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
