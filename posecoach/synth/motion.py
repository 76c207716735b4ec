"""Scripted motion: key postures joined by timed, eased segments, with life added on top.

A `Script` is a start posture and a list of `Segment`s, each moving to its end posture over
its duration with a phase label (the truth of what the performer is doing). Sampling a script
at a time gives the posture then, with small natural sway and breathing added while the
performer is holding still, and a walking gait while walking out of view.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field

import numpy as np

from posecoach.synth.figure import Posture, blend


class Phase(enum.Enum):
    """What the performer is doing, as the truth file records it."""

    SETUP = "setup"  # standing or lying, getting ready
    TRANSITION = "transition"  # moving into, out of, or between positions
    IN_POSE = "in_pose"  # holding the position (or resting at the start of a rep)
    REP_UP = "rep_up"
    REP_DOWN = "rep_down"
    OUT_OF_FRAME = "out_of_frame"


class Ease(enum.Enum):
    SMOOTH = "smooth"  # slow in, slow out
    LINEAR = "linear"


@dataclass(frozen=True)
class Segment:
    """Move to `end` over `duration_s`.

    `side` is the working side the segment counts for (None when it counts for none);
    `away` is how far out of view the performer is at the end (0 in place, 1 fully out);
    `rep` numbers the rep a REP_UP/REP_DOWN segment belongs to.
    """

    duration_s: float
    end: Posture
    phase: Phase
    side: str | None = None
    ease: Ease = Ease.SMOOTH
    away: float = 0.0
    rep: int | None = None


@dataclass(frozen=True)
class Rep:
    """One scripted rep: when it happened and whether it went the full range."""

    index: int
    side: str | None
    start_s: float
    top_s: float
    end_s: float
    full: bool


@dataclass(frozen=True)
class Sample:
    """The script at one instant."""

    posture: Posture
    phase: Phase
    side: str | None
    away: float  # 0 in place .. 1 fully out of view


@dataclass
class Script:
    """A start posture and its segments; `reps` lists the full and partial reps scripted."""

    start: Posture
    segments: list[Segment] = field(default_factory=list)
    full_reps: dict[int, bool] = field(default_factory=dict)  # rep index -> full range

    def add(self, segment: Segment) -> None:
        if segment.duration_s <= 0:
            raise ValueError(f"segment duration must be positive, got {segment.duration_s}")
        self.segments.append(segment)

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.segments)

    @property
    def last(self) -> Posture:
        return self.segments[-1].end if self.segments else self.start

    def reps(self) -> list[Rep]:
        found: dict[int, dict[str, float | str | None]] = {}
        t = 0.0
        for seg in self.segments:
            if seg.rep is not None:
                info = found.setdefault(seg.rep, {"start": t, "side": seg.side})
                if seg.phase is Phase.REP_UP:
                    info["top"] = t + seg.duration_s
                info["end"] = t + seg.duration_s
            t += seg.duration_s
        return [
            Rep(
                index=index,
                side=info["side"],  # type: ignore[arg-type]
                start_s=float(info["start"]),  # type: ignore[arg-type]
                top_s=float(info.get("top", info["end"])),  # type: ignore[arg-type]
                end_s=float(info["end"]),  # type: ignore[arg-type]
                full=self.full_reps.get(index, True),
            )
            for index, info in sorted(found.items())
        ]


@dataclass(frozen=True)
class Life:
    """Small involuntary motion, with phases from the seed: sway, breathing, gait."""

    sway_deg: float
    sway_hz: float
    breath_deg: float
    breath_hz: float
    phase: tuple[float, float]

    @classmethod
    def from_seed(cls, rng: np.random.Generator) -> Life:
        return cls(
            sway_deg=float(rng.uniform(0.6, 1.5)),
            sway_hz=float(rng.uniform(0.15, 0.3)),
            breath_deg=float(rng.uniform(0.5, 1.0)),
            breath_hz=float(rng.uniform(0.2, 0.3)),
            phase=(float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0, 2 * math.pi))),
        )

    def apply(self, posture: Posture, t_s: float, amount: float) -> Posture:
        """Sway the trunk and move the arms with the breath, scaled by `amount` (0..1)."""
        if amount <= 0:
            return posture
        sway = self.sway_deg * math.sin(2 * math.pi * self.sway_hz * t_s + self.phase[0])
        breath = self.breath_deg * math.sin(2 * math.pi * self.breath_hz * t_s + self.phase[1])
        shifted = dataclasses.replace(
            posture,
            trunk_pitch=posture.trunk_pitch + amount * sway,
            neck_pitch=posture.neck_pitch - amount * (sway + breath) * 0.5,
        )
        for side in ("left", "right"):
            limb = shifted.limb(side)
            shifted = shifted.with_limb(
                side, shoulder_abd=limb.shoulder_abd + amount * breath * 2.0
            )
        return shifted


def _eased(t: float, ease: Ease) -> float:
    if ease is Ease.LINEAR:
        return t
    return t * t * (3 - 2 * t)


def _gait(posture: Posture, t_s: float) -> Posture:
    """A walking step cycle on an upright posture (legs and arms swing in opposition)."""
    swing = 22.0 * math.sin(2 * math.pi * 0.9 * t_s)
    walked = posture.with_limb("left", hip_flex=swing, knee_flex=max(0.0, swing) * 1.2)
    walked = walked.with_limb("right", hip_flex=-swing, knee_flex=max(0.0, -swing) * 1.2)
    walked = walked.with_limb("left", shoulder_flex=-swing * 0.7)
    return walked.with_limb("right", shoulder_flex=swing * 0.7)


def sample(script: Script, t_s: float, life: Life) -> Sample:
    """The script's posture, phase and side at `t_s` (held at the last posture after the end)."""
    begin = script.start
    elapsed = 0.0
    away_begin = 0.0
    for seg in script.segments:
        if t_s < elapsed + seg.duration_s:
            u = _eased((t_s - elapsed) / seg.duration_s, seg.ease)
            posture = blend(begin, seg.end, u)
            away = away_begin + (seg.away - away_begin) * u
            if seg.phase is Phase.OUT_OF_FRAME:
                posture = _gait(posture, t_s)
            # Sway and breathing while still; fading in and out at the segment's ends.
            still = seg.phase in (Phase.IN_POSE, Phase.SETUP)
            amount = min(1.0, (t_s - elapsed) / 0.5, (elapsed + seg.duration_s - t_s) / 0.5)
            if still:
                posture = life.apply(posture, t_s, amount)
            return Sample(posture, seg.phase, seg.side, away)
        begin, away_begin = seg.end, seg.away
        elapsed += seg.duration_s
    last = script.segments[-1] if script.segments else None
    return Sample(
        begin,
        last.phase if last else Phase.SETUP,
        last.side if last else None,
        away_begin,
    )
