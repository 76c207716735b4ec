"""Every coaching default and its valid range, in one place.

The pose-file loader, the CLI and (later) the tuner all read these tables, so a value is
validated the same way wherever it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Range:
    """A numeric setting's default, bounds (inclusive) and unit."""

    default: float
    min: float
    max: float
    unit: str
    doc: str

    def check(self, value: float) -> str | None:
        """A problem description, or None when `value` lies within the range."""
        if not self.min <= value <= self.max:
            return f"expected {self.min:g} to {self.max:g} {self.unit}, got {value:g}"
        return None


def _setting(default: float, low: float, high: float, unit: str, doc: str) -> Any:
    """A CoachSettings field: its default, with its range kept beside it."""
    return field(default=default, metadata={"range": Range(default, low, high, unit, doc)})


@dataclass(frozen=True)
class CoachSettings:
    """Settings of the coach itself (not of one stretch), each with its valid range (see
    COACH_SETTINGS); build with `from_overrides`."""

    min_visibility: float = _setting(
        0.5, 0.0, 1.0, "", "a joint below this visibility score is not judged"
    )
    edge_margin: float = _setting(
        0.0, -0.2, 0.3, "of the frame", "a joint this far outside the frame edge is not judged"
    )
    hold_grace_s: float = _setting(
        0.5, 0.0, 5.0, "s", "lapses shorter than this do not stop a hold"
    )
    side_switch_s: float = _setting(
        1.0, 0.0, 10.0, "s", "evidence for the other side must last this long"
    )
    cue_min_s: float = _setting(2.0, 0.0, 30.0, "s", "a cue stays up at least this long")
    # A pose file's turn_deg says which body turns its rules are judged in; these are the
    # defaults for one that does not. Side-on within 20 deg, lengths in the picture are within
    # 6% (cos 20 deg) of the body's own; face-on the widths the rules read stand a wider turn
    # (82% at 35 deg). An oblique camera is refused.
    side_view_min_deg: float = _setting(
        70.0, 0.0, 90.0, "deg", "body turn from face-on that counts as side-on"
    )
    front_view_max_deg: float = _setting(
        35.0, 0.0, 90.0, "deg", "body turn from face-on still counted as face-on"
    )
    view_window_s: float = _setting(
        1.0, 0.0, 10.0, "s", "the view is judged on the median body turn over this long"
    )
    min_body_frac: float = _setting(
        0.08, 0.0, 1.0, "of the frame", "torso shorter than this: too far away"
    )
    # Arming, holds and reps.
    # Half a second or less: people often start a rep within 0.5 s of lying down.
    arm_s: float = _setting(
        0.4, 0.0, 10.0, "s", "in the starting position this long before reps or a hold count"
    )
    # A hold is a stay: it starts once the body is still (see posecoach.coaching.stillness).
    still_window_s: float = _setting(
        0.5, 0.1, 5.0, "s", "stillness is measured over this much of the recent past"
    )
    still_max_torso: float = _setting(
        0.06,
        0.0,
        2.0,
        "torso lengths",
        "the joints wander at most this much: settled, a hold starts",
    )
    moving_min_torso: float = _setting(
        0.2, 0.0, 5.0, "torso lengths", "the joints wander this much while holding: moving, a lapse"
    )
    unknown_max_s: float = _setting(
        5.0, 0.0, 60.0, "s", "joints that cannot be trusted bridge a hold this long at most"
    )
    min_rep_s: float = _setting(0.8, 0.0, 10.0, "s", "a rep quicker than this is not counted")
    partial_rep_frac: float = _setting(
        0.5, 0.05, 1.0, "of the way", "a rep stopped this far toward the peak is a partial rep"
    )
    rep_max_gap_s: float = _setting(
        2.0, 0.0, 30.0, "s", "no signal this long (person lost, joints hidden): re-arm reps"
    )
    # The last of the way in (sinking to depth, steadying) is still moving: rules that look
    # back in time (motion, bounce) start judging a stay in position this long after it began.
    settle_s: float = _setting(
        1.0, 0.0, 10.0, "s", "in position this long before motion and bounce rules judge it"
    )
    # Cues.
    cue_delay_s: float = _setting(
        0.5, 0.0, 10.0, "s", "a form rule must fail this long before its cue is shown"
    )
    praise_s: float = _setting(1.5, 0.0, 10.0, "s", "praise stays up this long after a fix")
    # Smoothing: a One Euro filter per joint (positions in frame heights, speeds per second).
    smooth_min_cutoff_hz: float = _setting(
        1.0, 0.01, 30.0, "Hz", "smoothing cut-off when still: lower is steadier"
    )
    smooth_beta: float = _setting(
        10.0, 0.0, 1000.0, "per frame height/s", "how fast the cut-off rises with speed: less lag"
    )
    smooth_d_cutoff_hz: float = _setting(1.0, 0.01, 30.0, "Hz", "cut-off of the speed estimate")
    # Gating: when a joint is not trusted, beyond the model's visibility score.
    bone_ratio_max: float = _setting(
        1.5, 1.05, 5.0, "x", "a bone this much longer or shorter than its recent median"
    )
    jump_torso: float = _setting(
        0.35, 0.05, 5.0, "torso lengths", "a joint that moves this far in one frame has jumped"
    )
    jump_speed_torso_s: float = _setting(
        8.0,
        0.5,
        100.0,
        "torso lengths/s",
        "a jump is also faster than this (long frame gaps allow more)",
    )
    jump_settle_s: float = _setting(
        0.3, 0.0, 5.0, "s", "a jumped joint that stays put this long is trusted again"
    )

    @classmethod
    def from_overrides(cls, overrides: dict[str, float]) -> CoachSettings:
        """Defaults with some values replaced; raises ValueError naming every bad key."""
        problems = []
        names = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in names:
                problems.append(
                    f"{key}: unknown setting, expecting one of {', '.join(sorted(names))}"
                )
            elif (problem := COACH_SETTINGS[key].check(float(value))) is not None:
                problems.append(f"{key}: {problem}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(**{k: float(v) for k, v in overrides.items()})


# Every coach setting's default and valid range, by name.
COACH_SETTINGS: dict[str, Range] = {f.name: f.metadata["range"] for f in fields(CoachSettings)}
# The defaults, for the stages' own settings (smoothing, trust, holds, reps) to start from.
DEFAULTS = CoachSettings()


# Numeric keys that pose files may use, with their valid ranges.
POSE_KEYS: dict[str, Range] = {
    "hold_s": Range(30.0, 1.0, 3600.0, "s", "hold target per side"),
    "stay_s": Range(0.0, 0.0, 60.0, "s", "a stay in position shorter than this is not held"),
    "reps": Range(10.0, 1.0, 1000.0, "reps", "rep target per side"),
    "priority": Range(5.0, 1.0, 9.0, "", "1 is the most important rule"),
    "min_deg": Range(0.0, 0.0, 360.0, "deg", "lowest passing angle"),
    "max_deg": Range(360.0, 0.0, 360.0, "deg", "highest passing angle"),
    "min_torso": Range(-10.0, -10.0, 10.0, "torso lengths", "smallest passing offset"),
    "max_torso": Range(10.0, -10.0, 10.0, "torso lengths", "largest passing offset"),
    "window_s": Range(2.0, 0.2, 30.0, "s", "how far back a motion or bounce rule looks"),
    "amplitude": Range(
        0.04, 0.0, 2.0, "torso lengths", "smallest movement a bounce rule counts as a turn"
    ),
    "min_count": Range(0.0, 0.0, 1000.0, "", "fewest passing turns"),
    "max_count": Range(1000.0, 0.0, 1000.0, "", "most passing turns"),
    "start": Range(0.0, -360.0, 360.0, "signal units", "signal value at the start of a rep"),
    "peak": Range(0.0, -360.0, 360.0, "signal units", "signal value a rep must reach"),
    "min_range": Range(
        0.0, 0.0, 360.0, "signal units", "how far a rep must move from the resting level"
    ),
}
