"""What the coach concludes about a frame: its status, the measured values before the pose's
thresholds (`Measurement`), the assessment after them (`Assessment`), and the totals per side
(`SideTotals`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from posecoach.coaching.body import BodyFrame, Side
from posecoach.coaching.rules import RuleResult
from posecoach.coaching.temporal import Event, RepPhase
from posecoach.model.landmarks import Landmarks


class Status(enum.Enum):
    """What the coach can say about a frame, from worst to best."""

    NO_PERSON = "no_person"
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    CUT_OFF = "cut_off"
    WRONG_VIEW = "wrong_view"
    JOINTS_HIDDEN = "joints_hidden"
    NOT_IN_POSITION = "not_in_position"
    IN_POSITION = "in_position"


@dataclass
class SideTotals:
    """Counts for one side (or for the whole stretch when it is not done per side)."""

    reps: int = 0
    hold_s: float = 0.0
    best: float | None = None  # the furthest signal value of a counted rep


@dataclass(frozen=True)
class Assessment:
    """Everything the coach concluded about one frame."""

    timestamp_ms: float
    frame_index: int
    status: Status
    prompt: str | None  # the one message on screen: a set-up prompt or a form cue
    prompt_is_new: bool  # the prompt appeared in this frame
    results: tuple[RuleResult, ...]
    body: BodyFrame | None
    side: Side | None  # the working side totals go to (None when not per side / unknown)
    turn_deg: float | None
    phase: RepPhase | None
    reps: int  # on the current side (in total when not per side)
    hold_s: float
    totals: dict[str, SideTotals]  # "left"/"right" when per side, else "all"
    events: tuple[Event, ...] = field(default_factory=tuple)
    # The landmarks the rules read (label swaps undone, smoothed) and which joints were
    # trusted; None when nobody was found.
    smoothed: Landmarks | None = None
    trusted: np.ndarray | None = None
    muted: bool = False
    counted: float | None = None  # reps: the signal value the rep counter read (None: none)
    # Holds: whether the hold timer runs (in position but not yet settled there, it does not);
    # None for reps.
    holding: bool | None = None

    @property
    def detected(self) -> bool:
        return self.status is not Status.NO_PERSON


@dataclass(frozen=True)
class Measurement:
    """One frame as measured, before the pose's thresholds are applied: what `Coach.judge`
    needs to assess it. Measuring is the costly half of coaching; judging again with other
    thresholds (tuning) reuses the measurements."""

    timestamp_ms: float
    frame_index: int
    setup: Status  # IN_POSITION when the set-up allows judging, else the set-up problem
    setup_prompt: str | None
    turn_deg: float | None
    body: BodyFrame | None
    side: Side | None  # the working side (the last known one when no body this frame)
    # Per rule of the pose, in order: its values, one per side it is judged on (none: it
    # could not be judged); empty: no rule was measured.
    values: tuple[tuple[float, ...], ...]
    smoothed: Landmarks | None
    trusted: np.ndarray | None
    motion: float | None = None  # how much the body moves (see Stillness); None: not known
