"""A generated clip: the script played through the figure, the camera and the renderer, with
the truth of every frame measured on the exact landmarks by the pose file's own rules.

The truth sidecar (`<clip>.truth.json`, format `TRUTH_VERSION`) holds per frame the exact 2D
pixel and 3D positions of the 33 landmarks, the value of every rule's signal and whether it
passes, the phase and the working side; and per clip the reps and hold seconds per side. The
held seconds are what the coach's own hold timer credits on the exact body: in position by the
rules and settled by its stillness measure, so the way into a position that moves the whole body
is not held time, as it is not for the coach (without the pose file's shortest stay, `stay_s`:
a short hold truly settled in is held time; the coach's guard against short pauses of other
exercises may cost it such a hold).

A clip can have dropouts (`ClipSpec.dropouts`): spans in which the camera loses the person and
the picture shows the room alone. The truth still describes the person, who carries on as
scripted (a coach is expected to bridge a short dropout), so in-position frames and hold totals
do not change; the per-frame `dropout` column marks the frames. Clips without dropouts leave the
column and the spec's `dropouts` key out, so their truth is the same as before dropouts existed:
readers treat a missing column as no dropout.

A clip can show a look-alike exercise instead of a stretch (`ClipSpec.movement`, see
`lookalikes`): its truth is measured with the rules of the stretch `pose_id` names, but the
person is never in position (`in_position` false in every frame, no hold, no reps) for it or
for any stretch the look-alike is a negative for; the truth names the movement, its
`negative_for` and its own cycles (`movement_reps`). The spec's `movement` key is left out for
a stretch.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecoach import __version__
from posecoach.coaching.body import BodyFrame, Side, torso_length_px
from posecoach.coaching.coach import hold_settings
from posecoach.coaching.posefile import Mode, PoseSpec, View
from posecoach.coaching.rules import RecentFrames
from posecoach.coaching.stillness import Stillness
from posecoach.coaching.temporal import HoldTimer
from posecoach.config.defaults import COACH_SETTINGS, CoachSettings
from posecoach.config.errors import PosecoachError
from posecoach.inputs.files import write_json_atomic
from posecoach.model.landmarks import Landmark, Landmarks
from posecoach.output.sinks import VIDEO_SUFFIXES, VideoSink
from posecoach.synth.camera import Camera
from posecoach.synth.figure import Figure, Skeleton, landmark, settle
from posecoach.synth.lookalikes import LOOKALIKES, LookAlike
from posecoach.synth.motion import Life, Phase, Rep, Script, sample
from posecoach.synth.render import Look, Renderer
from posecoach.synth.stretches import STRETCH_MOTIONS, ScriptOptions, StretchMotion

TRUTH_VERSION = 1

DEFAULT_REPS = 5
DEFAULT_HOLD_S = 10.0
_FILL = 0.82  # the share of the frame the whole motion spans, at most
_MIN_DEPTH_M = 0.5  # the camera stays this far in front of every part of the body
_FORWARD = np.array([0.3, 0.0, 0.0])
_LEVEL_M = 0.05  # legs closer than this front to back are level: neither is in front
_CANVAS_WH = (2000, 2000)  # the canonical picture: 400 px per metre around the pelvis
_CANVAS_PX_PER_M = 400.0
_OBLIQUE = re.compile(r"oblique-(\d+(?:\.\d+)?)$")


class SynthError(PosecoachError):
    """A clip that cannot be generated as asked (unknown stretch, fault or view)."""


def view_turn_deg(view: str) -> float:
    """How far the camera is turned from the side view toward the front: side 0, front 90,
    oblique-N N degrees, back -90."""
    named = {"side": 0.0, "front": 90.0, "back": -90.0}
    if view in named:
        return named[view]
    match = _OBLIQUE.match(view)
    if match and 0 <= float(match.group(1)) <= 90:
        return float(match.group(1))
    raise SynthError(
        f"unknown view {view!r}: expecting one of side, front, back, oblique-N (N in 0..90 "
        "degrees from the side toward the front)"
    )


@dataclass(frozen=True)
class ClipSpec:
    """What to generate. `sides` lists the working sides in order (None for a stretch that is
    not done per side); `facing` is which way the performer faces in the image ("left" or
    "right"; None picks one from the seed)."""

    pose_id: str
    sides: tuple[str | None, ...] = (None,)
    reps: int = DEFAULT_REPS
    hold_s: float = DEFAULT_HOLD_S
    fault: str | None = None
    view: str = "side"
    seed: int = 0
    size_wh: tuple[int, int] = (640, 480)
    fps: float = 30.0
    facing: str | None = None
    lighting: bool = False  # the room's light drifts slowly brighter and darker
    blur_px: float = 0.0  # Gaussian blur sigma
    noise: float = 0.0  # sensor noise sigma, in grey levels
    # (start_s, duration_s) spans in which the camera loses the person: the room alone is drawn.
    dropouts: tuple[tuple[float, float], ...] = ()
    # A look-alike exercise performed instead of the stretch (its id in `LOOKALIKES`); the
    # stretch `pose_id` then only judges the truth, in which the person is never in position.
    movement: str | None = None

    def check(self) -> StretchMotion:
        """Raise SynthError for anything that cannot be generated; returns the stretch's motion."""
        motion = self.motion()
        view_turn_deg(self.view)
        if self.seed < 0 or self.blur_px < 0 or self.noise < 0 or not self.fps > 0:
            raise SynthError(
                "seed, blur and noise must be 0 or more and fps above 0: got "
                f"seed {self.seed}, blur {self.blur_px}, noise {self.noise}, fps {self.fps}"
            )
        if self.reps < 0 or not self.hold_s > 0:
            raise SynthError(
                f"reps must be 0 or more and the hold above 0 s: got reps {self.reps}, "
                f"hold {self.hold_s} s"
            )
        for dropout in self.dropouts:
            try:
                start_s, duration_s = (float(v) for v in dropout)
            except (TypeError, ValueError):
                start_s, duration_s = math.nan, math.nan
            if not (math.isfinite(start_s) and start_s >= 0 and 0 < duration_s < math.inf):
                raise SynthError(
                    f"cannot drop out {dropout!r}: expecting (start_s, duration_s) with a start "
                    "of 0 s or more and a duration above 0 s, such as (3.0, 0.5)"
                )
        return motion

    def dropped(self, t_s: float) -> bool:
        """Whether the camera has lost the person at `t_s` (inside one of the dropouts)."""
        return any(start <= t_s < start + duration for start, duration in self.dropouts)

    def motion(self) -> StretchMotion:
        if self.movement is not None:
            return self.look_alike().motion
        if self.pose_id not in STRETCH_MOTIONS:
            raise SynthError(
                f"no motion script for {self.pose_id!r}: expecting one of "
                f"{', '.join(sorted(STRETCH_MOTIONS))}"
            )
        motion = STRETCH_MOTIONS[self.pose_id]
        if self.fault is not None and self.fault not in motion.faults:
            raise SynthError(
                f"unknown fault {self.fault!r} for {self.pose_id}: expecting one of "
                f"{', '.join(sorted(motion.faults))}"
            )
        return motion

    def look_alike(self) -> LookAlike:
        """The look-alike exercise performed (SynthError when none is or it is unknown)."""
        if self.movement not in LOOKALIKES:
            raise SynthError(
                f"no look-alike called {self.movement!r}: expecting one of "
                f"{', '.join(sorted(LOOKALIKES))}"
            )
        if self.fault is not None:
            raise SynthError(
                f"a look-alike has no faults: leave out fault {self.fault!r} for {self.movement}"
            )
        return LOOKALIKES[self.movement]


@dataclass(frozen=True)
class TruthFrame:
    """The truth of one frame."""

    index: int
    t_s: float
    phase: Phase
    side: str | None
    xy_px: np.ndarray  # (33, 2)
    xyz_m: np.ndarray  # (33, 3) world metres, y up, floor at 0
    in_frame: np.ndarray  # (33,) bool
    values: dict[str, float | None]  # in the stretch's own view (see `_canonical`)
    passes: dict[str, bool | None]
    image_values: dict[str, float | None]  # as this clip's camera sees them
    in_position: bool  # the person's, whether or not the camera sees them
    dropout: bool = False  # the camera has lost the person: the picture shows the room alone
    motion: float | None = None  # how much the exact body moves (Stillness); None: not known


class Clip:
    """A clip being generated: iterate `frames()` for (image, truth) pairs, then `truth()`."""

    def __init__(self, spec: ClipSpec, pose: PoseSpec) -> None:
        self.spec = spec
        self.pose = pose
        motion = spec.check()
        view_turn = view_turn_deg(spec.view)
        rng = np.random.default_rng(spec.seed)
        self.figure = Figure.from_seed(rng)
        self.look = Look.from_seed(rng)
        self.life = Life.from_seed(rng)
        drawn = "right" if rng.random() < 0.5 else "left"  # drawn always: same seed, same room
        facing = spec.facing or drawn
        # Face-on or from behind, the performer faces neither image side.
        self.facing = facing if view_turn not in (90.0, -90.0) else None
        self.sides = _performed_sides(spec, motion)
        self.script: Script = _build_script(spec, motion, self.figure)
        if pose.mode is Mode.REPS and spec.reps == 0 and spec.fault is not None:
            raise SynthError(
                f"fault {spec.fault} of {spec.pose_id} shows in a rep: ask for 1 rep or more, "
                "or no fault"
            )
        late = [d for d in spec.dropouts if d[0] >= self.script.duration_s]
        if late:
            raise SynthError(
                f"dropout {late[0]!r} starts after the clip ends "
                f"({self.script.duration_s:.1f} s): start it earlier"
            )
        self.frame_count = max(1, math.floor(self.script.duration_s * spec.fps))
        self._samples = [
            sample(self.script, i / spec.fps, self.life) for i in range(self.frame_count)
        ]
        self._skeletons = [settle(self.figure, s.posture) for s in self._samples]
        # The performer faces world +x; the camera looks at their right side to see them face
        # image right, at their left side for image left, turned toward the front by the view.
        azimuth = -90.0 + view_turn if facing == "right" else 90.0 - view_turn
        if view_turn == -90.0:
            azimuth = 180.0
        height = float(rng.uniform(0.45, 0.8) if motion.on_floor else rng.uniform(0.8, 1.2))
        self.camera = _frame_camera(
            [sk for sk, s in zip(self._skeletons, self._samples, strict=True) if s.away == 0],
            self.figure,
            azimuth,
            height,
            spec.size_wh,
            float(rng.uniform(55.0, 70.0)),
        )
        right, _, _ = self.camera.axes
        visible_half_m = (
            spec.size_wh[0]
            / 2
            / self.camera.focal_px
            * float(np.linalg.norm(self.camera.target - self.camera.position))
        )
        self._exit = right * (1 if facing == "right" else -1) * (visible_half_m + 1.2)
        # Objects the script is performed around (a bench under a raised foot) are drawn too.
        props = getattr(self.script, "props", ())
        self.renderer = Renderer(self.figure, self.look, self.camera, props=props)
        self._light_phase = float(rng.uniform(0, 2 * math.pi))
        self._noise_seed = int(rng.integers(2**31))

    def _placed(self, index: int) -> Skeleton:
        """Frame `index`'s skeleton where the camera sees it (walked out of view if away)."""
        smp, skeleton = self._samples[index], self._skeletons[index]
        return skeleton.moved(self._exit * smp.away) if smp.away > 0 else skeleton

    def frames(self) -> Iterator[tuple[np.ndarray, TruthFrame]]:
        """(BGR image, truth) for every frame, in order."""
        noise_rng = np.random.default_rng(self._noise_seed)
        histories = _histories()
        for index, smp in enumerate(self._samples):
            skeleton = self._placed(index)
            t_s = index / self.spec.fps
            drawn = self.renderer.room() if self.spec.dropped(t_s) else self.renderer.draw(skeleton)
            image = self._effects(drawn, t_s, noise_rng)
            yield image, self._truth(index, smp.phase, smp.side, skeleton, histories)

    def still(self, index: int) -> np.ndarray:
        """Frame `index`'s picture on its own (BGR): the room and the performer, without the
        lighting drift, blur or noise the clip adds."""
        return self.renderer.draw(self._placed(index))

    def truth_frames(self) -> list[TruthFrame]:
        """The truth of every frame, without drawing anything (fast)."""
        histories = _histories()
        return [
            self._truth(index, smp.phase, smp.side, self._placed(index), histories)
            for index, smp in enumerate(self._samples)
        ]

    def _effects(self, image: np.ndarray, t_s: float, rng: np.random.Generator) -> np.ndarray:
        spec = self.spec
        if spec.blur_px > 0:
            image = cv2.GaussianBlur(image, (0, 0), spec.blur_px)
        if spec.lighting or spec.noise > 0:
            out = image.astype(np.float32)
            if spec.lighting:
                out *= 1.0 + 0.3 * math.sin(2 * math.pi * t_s / 7.0 + self._light_phase)
            if spec.noise > 0:
                out += rng.normal(0.0, spec.noise, out.shape).astype(np.float32)
            image = np.clip(out, 0, 255).astype(np.uint8)
        return image

    def _truth(
        self,
        index: int,
        phase: Phase,
        side: str | None,
        sk: Skeleton,
        histories: _Memory,
    ) -> TruthFrame:
        """One frame's truth; `histories` hold the earlier frames as this camera and as the
        stretch's own view see them (for rules that look back in time)."""
        cam, (width, height) = self.camera, self.spec.size_wh
        xy, depth = cam.project(sk.landmarks)
        in_frame = (
            (xy[:, 0] >= 0)
            & (xy[:, 0] < width)
            & (xy[:, 1] >= 0)
            & (xy[:, 1] < height)
            & (depth > 0)
        )
        near = Side.LEFT if depth[Landmark.LEFT_HIP] <= depth[Landmark.RIGHT_HIP] else Side.RIGHT
        # As this camera sees them (None where a joint is out of the picture).
        seen = self._landmarks(index, xy, depth, in_frame, (width, height))
        # The performer always faces world +x (lying down, the feet point that way).
        ahead, _ = cam.project(np.array([sk.pelvis, sk.pelvis + _FORWARD]))
        facing = 1 if ahead[1, 0] >= ahead[0, 0] else -1
        image_values, _ = self._judge(
            seen, self._roles(sk, side, near, seen, facing), in_frame, histories[0]
        )
        # As the stretch's own view sees them: an orthographic side-on (or face-on) picture
        # of the body, the same whatever the camera does. Holds and verdicts follow these.
        canon_xy, canon_depth = _canonical(sk.landmarks, self.pose.view is View.FRONT)
        canon = self._landmarks(index, canon_xy, canon_depth, np.ones(len(xy), bool), _CANVAS_WH)
        canon_near = (
            Side.LEFT
            if canon_depth[Landmark.LEFT_HIP] <= canon_depth[Landmark.RIGHT_HIP]
            else Side.RIGHT
        )
        values, passes = self._judge(
            canon, self._roles(sk, side, canon_near, canon, 1), None, histories[1]
        )
        gates = [passes[r.id] for r in self.pose.rules if r.gate]
        # A look-alike is never the stretch, whatever its rules make of it.
        in_position = (
            self.spec.movement is None
            and phase is not Phase.OUT_OF_FRAME
            and all(g is True for g in gates)
        )
        t_s = index / self.spec.fps
        for history in histories[:2]:
            history.follow(canon.timestamp_ms, in_position)
        moved = histories[2].update(canon, np.ones(len(Landmark), dtype=bool))
        return TruthFrame(
            index=index,
            t_s=t_s,
            phase=phase,
            side=side,
            xy_px=xy,
            xyz_m=sk.landmarks,
            in_frame=in_frame,
            values=values,
            passes=passes,
            image_values=image_values,
            in_position=in_position,
            dropout=self.spec.dropped(t_s),
            motion=None if math.isnan(moved) else moved,
        )

    def _judge(
        self,
        landmarks: Landmarks,
        body: BodyFrame,
        in_frame: np.ndarray | None,
        history: RecentFrames,
    ) -> tuple[dict[str, float | None], dict[str, bool | None]]:
        history.add(landmarks, body)
        values: dict[str, float | None] = {}
        passes: dict[str, bool | None] = {}
        for rule in self.pose.rules:
            measured = []
            for sides in rule.sides(body):
                ids = [int(i) for role in rule.roles() for i in sides.landmarks_for(role)]
                if in_frame is None or bool(in_frame[ids].all()):
                    measured.append(rule.measure(landmarks, sides, history))
            value = rule.choose(tuple(v for v in measured if not math.isnan(v)))
            values[rule.id] = value
            passes[rule.id] = None if value is None else rule.passes(value)
        return values, passes

    def _landmarks(
        self,
        index: int,
        xy: np.ndarray,
        depth: np.ndarray,
        in_frame: np.ndarray,
        size_wh: tuple[int, int],
    ) -> Landmarks:
        """Exact landmarks in a picture of `size_wh` pixels, as the rules read them."""
        width, height = size_wh
        hip_depth = float(depth[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean())
        return Landmarks(
            xy_norm=xy / np.array([width, height], dtype=float),
            z=(depth - hip_depth) / width,
            visibility=in_frame.astype(float),
            world_xyz_m=None,
            resolution_wh=(width, height),
            timestamp_ms=index * 1000.0 / self.spec.fps,
            frame_index=index,
        )

    def _roles(
        self, sk: Skeleton, side: str | None, near: Side, seen: Landmarks, facing: int
    ) -> BodyFrame:
        """The true role of every limb: which leg is in front, which side is nearer the camera."""
        lm = sk.landmarks
        working = Side(side) if side is not None else None
        legs = {}
        # Which leg is further ahead (world x) and which is higher (world y); when level, the
        # working side decides, as the stretch names it.
        for key, axis, opposite in (("front", 0, "back"), ("high", 1, "low")):
            lead = sum(
                lm[landmark("left", j), axis] - lm[landmark("right", j), axis]
                for j in ("knee", "ankle")
            )
            if abs(lead) > _LEVEL_M:
                legs[key] = Side.LEFT if lead > 0 else Side.RIGHT
            elif working is not None and self.pose.working == opposite:
                legs[key] = working.other
            else:
                legs[key] = working or Side.LEFT
        sides = {
            "left": Side.LEFT,
            "right": Side.RIGHT,
            "front": legs["front"],
            "back": legs["front"].other,
            "high": legs["high"],
            "low": legs["high"].other,
            "near": near,
            "far": near.other,
        }
        sides["working"] = sides[self.pose.working] if self.pose.working else near
        sides["other"] = sides["working"].other
        return BodyFrame(
            facing=facing,
            sides=sides,
            torso_px=torso_length_px(seen),
            working_side=working,
        )

    def truth(self, frames: list[TruthFrame]) -> dict[str, Any]:
        """The sidecar's contents for the frames generated."""
        spec, pose = self.spec, self.pose
        keys = ["left", "right"] if pose.per_side else ["all"]
        totals: dict[str, dict[str, float | int]] = {
            key: {"reps": 0, "hold_s": 0.0} for key in keys
        }
        reps = self.script.reps()
        # A look-alike's cycles are its own, not reps of the stretch.
        movement_reps, reps = (reps, []) if spec.movement is not None else ([], reps)
        for rep in reps:
            key = rep.side if pose.per_side else "all"
            if rep.full and key in totals:
                totals[key]["reps"] = int(totals[key]["reps"]) + 1
        if pose.mode is Mode.HOLD:
            # The shortest stay is the coach's guard against other exercises' pauses, not a
            # fact of the performance: a hold the performer truly settled in counts, however
            # short.
            settings = dataclasses.replace(hold_settings(CoachSettings(), pose), stay_s=0.0)
            timers: dict[str, HoldTimer] = {}
            for frame in frames:
                key = frame.side if pose.per_side else "all"
                if key in totals:
                    timer = timers.setdefault(key, HoldTimer(settings))
                    timer.update(frame.t_s * 1000, frame.in_position, frame.motion)
                    totals[key]["hold_s"] = timer.held_s
        for values in totals.values():
            values["hold_s"] = round(float(values["hold_s"]), 3)
        movement: dict[str, Any] = {}
        if spec.movement is not None:
            look = spec.look_alike()
            movement = {
                "movement": look.id,
                "movement_description": look.movement,
                "negative_for": list(look.negative_for),
                "movement_reps": [_rep_json(rep) for rep in movement_reps],
            }
        return {
            "truth_version": TRUTH_VERSION,
            "spec": _spec_json(spec),
            "posecoach_version": __version__,
            "pose": pose.id,
            "mode": pose.mode.value,
            "per_side": pose.per_side,
            "sides": [s for s in self.sides if s is not None],
            "fault": spec.fault,
            "fault_description": STRETCH_MOTIONS[pose.id].faults.get(spec.fault or "", None),
            **movement,
            "view": spec.view,
            "facing": self.facing,
            "seed": spec.seed,
            "size_wh": list(spec.size_wh),
            "fps": spec.fps,
            "frames": len(frames),
            "duration_s": round(len(frames) / spec.fps, 3),
            "camera": {
                "position_m": _rounded(self.camera.position, 4),
                "target_m": _rounded(self.camera.target, 4),
                "focal_px": round(self.camera.focal_px, 3),
            },
            "figure": {k: round(v, 4) for k, v in dataclasses.asdict(self.figure).items()},
            "effects": {"lighting": spec.lighting, "blur_px": spec.blur_px, "noise": spec.noise},
            "totals": totals,
            "reps": [_rep_json(rep) for rep in reps],
            "rules": {
                r.id: {"gate": r.gate, "when": r.when.value, "min": r.min_value, "max": r.max_value}
                for r in pose.rules
            },
            "landmark_names": [lm.name.lower() for lm in Landmark],
            "per_frame": _frames_json(frames, [r.id for r in pose.rules], bool(spec.dropouts)),
        }


def _rep_json(rep: Rep) -> dict[str, Any]:
    return {
        "side": rep.side,
        "start_s": round(rep.start_s, 3),
        "top_s": round(rep.top_s, 3),
        "end_s": round(rep.end_s, 3),
        "full": rep.full,
    }


def _performed_sides(spec: ClipSpec, motion: StretchMotion) -> tuple[str | None, ...]:
    """The working sides in order: none for a stretch not done per side, both if not named."""
    if not motion.per_side:
        return (None,)
    if None in spec.sides:
        return ("left", "right")
    return spec.sides


def _build_script(spec: ClipSpec, motion: StretchMotion, figure: Figure) -> Script:
    options = ScriptOptions(
        sides=_performed_sides(spec, motion), reps=spec.reps, hold_s=spec.hold_s, fault=spec.fault
    )
    return motion.build(figure, options)


def clip_script(spec: ClipSpec) -> Script:
    """The script a clip of `spec` performs (its timing, without drawing or measuring anything)."""
    motion = spec.check()
    # The figure is the seed's first draw, as in `Clip`.
    return _build_script(spec, motion, Figure.from_seed(np.random.default_rng(spec.seed)))


def _spec_json(spec: ClipSpec) -> dict[str, Any]:
    data = dataclasses.asdict(spec)
    data["sides"], data["size_wh"] = list(spec.sides), list(spec.size_wh)
    if spec.dropouts:
        data["dropouts"] = [list(d) for d in spec.dropouts]
    else:  # left out: a clip without dropouts has the truth it had before they existed
        del data["dropouts"]
    if spec.movement is None:  # likewise a clip of a stretch
        del data["movement"]
    return data


def spec_from_truth(truth: dict[str, Any]) -> ClipSpec:
    """The `ClipSpec` a truth file was generated from (to generate it again)."""
    data = dict(truth["spec"])
    data["sides"], data["size_wh"] = tuple(data["sides"]), tuple(data["size_wh"])
    data["dropouts"] = tuple(
        (float(start), float(duration)) for start, duration in data.get("dropouts", ())
    )
    return ClipSpec(**data)


# Recent frames as the camera and as the stretch's own view see them, and the stillness of the
# body in that view.
_Memory = tuple[RecentFrames, RecentFrames, Stillness]


def _histories() -> _Memory:
    """A clip's memory of recent frames; like the coach's, motion and bounce rules judge a stay
    in position after its first `settle_s`, and stillness looks back `still_window_s`."""
    settle_s = COACH_SETTINGS["settle_s"].default
    window_s = COACH_SETTINGS["still_window_s"].default
    return RecentFrames(settle_s=settle_s), RecentFrames(settle_s=settle_s), Stillness(window_s)


def _canonical(points_m: np.ndarray, face_on: bool) -> tuple[np.ndarray, np.ndarray]:
    """An orthographic picture of the body on `_CANVAS_WH`: side-on (facing image right) or
    face-on. Returns (33, 2) pixel positions and (33,) depths."""
    centre = points_m[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
    rel = points_m - centre
    # Side-on the camera stands at +z (it sees the right side); face-on at +x.
    across, depth = (-rel[:, 2], -rel[:, 0]) if face_on else (rel[:, 0], -rel[:, 2])
    xy = np.stack([across, -rel[:, 1]], axis=1) * _CANVAS_PX_PER_M + np.array(_CANVAS_WH) / 2
    return xy, depth


def _rounded(values: np.ndarray, digits: int) -> list[Any]:
    return np.round(np.asarray(values, dtype=float), digits).tolist()


def _frames_json(frames: list[TruthFrame], rule_ids: list[str], dropouts: bool) -> dict[str, Any]:
    """Per-frame truth in columns: one list per field, indexed by frame number (the `dropout`
    column only for a clip with dropouts)."""

    def column(values: list[float | None]) -> list[float | None]:
        return [None if v is None else round(v, 2) for v in values]

    marked = {"dropout": [f.dropout for f in frames]} if dropouts else {}
    return {
        "t_s": [round(f.t_s, 4) for f in frames],
        "phase": [f.phase.value for f in frames],
        "side": [f.side for f in frames],
        "in_position": [f.in_position for f in frames],
        **marked,
        "values": {r: column([f.values[r] for f in frames]) for r in rule_ids},
        "passes": {r: [f.passes[r] for f in frames] for r in rule_ids},
        "image_values": {r: column([f.image_values[r] for f in frames]) for r in rule_ids},
        "in_frame": ["".join("1" if v else "0" for v in f.in_frame) for f in frames],
        "xy_px": [_rounded(f.xy_px, 1) for f in frames],
        "xyz_m": [_rounded(f.xyz_m, 3) for f in frames],
    }


def _frame_camera(
    skeletons: list[Skeleton],
    figure: Figure,
    azimuth_deg: float,
    height_m: float,
    size_wh: tuple[int, int],
    hfov_deg: float,
) -> Camera:
    """A fixed camera that keeps the whole motion in view, filling at most `_FILL` of the frame."""
    step = max(1, len(skeletons) // 150)
    points = np.concatenate(
        [
            np.vstack([sk.landmarks, sk.head + np.array([0.0, figure.head_r_m * 1.1, 0.0])])
            for sk in skeletons[::step]
        ]
    )
    low, high = points.min(axis=0), points.max(axis=0)
    target = (low + high) / 2
    size = np.array(size_wh, dtype=float)

    def place(target: np.ndarray) -> Camera:
        # The nearest distance at which everything fits (the fit only loosens further away).
        near, far = 0.3, 60.0
        for _ in range(40):
            distance = (near + far) / 2
            camera = Camera.orbit(target, azimuth_deg, distance, height_m, size_wh, hfov_deg)
            px, depth = camera.project(points)
            span = (px.max(axis=0) - px.min(axis=0)) / size
            if depth.min() > _MIN_DEPTH_M and span.max() <= _FILL:
                far = distance
            else:
                near = distance
        return Camera.orbit(target, azimuth_deg, far, height_m, size_wh, hfov_deg)

    camera = place(target)
    for _ in range(2):  # aim at the middle of what the camera sees
        px, depth = camera.project(points)
        off_px = (px.min(axis=0) + px.max(axis=0)) / 2 - size / 2
        right, up, _ = camera.axes
        metres = off_px / camera.pixels_per_m(float(np.median(depth)))
        target = target + right * metres[0] - up * metres[1]
        camera = place(target)
    return camera


def write_clip(spec: ClipSpec, pose: PoseSpec, out: str | Path) -> dict[str, Any]:
    """Render the clip to `out` (a video) and its truth to `<out stem>.truth.json`.

    Both are written under temporary names and renamed at the end, so an interrupted run
    leaves no clip without its truth. Returns the truth.
    """
    out = check_clip_path(out)
    truth_path = truth_path_for(out)
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")
    partial_truth = truth_path.with_name(f".{truth_path.name}.partial")
    clip = Clip(spec, pose)  # checks the spec before any file is made
    sink = VideoSink(partial, spec.fps)
    frames: list[TruthFrame] = []
    try:
        for image, frame in clip.frames():
            sink.write(image)
            frames.append(frame)
        sink.close()
        truth = clip.truth(frames)
        write_json_atomic(partial_truth, truth, compact=True)
        os.replace(partial, out)
        os.replace(partial_truth, truth_path)
    except BaseException:
        sink.close()
        partial.unlink(missing_ok=True)
        partial_truth.unlink(missing_ok=True)
        raise
    return truth


def check_clip_path(out: str | Path) -> Path:
    """`out` as a Path, if it names a video file; else a SynthError saying what to give."""
    out = Path(out)
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise SynthError(
            f"cannot write clip {out}: expecting a name ending in {', '.join(VIDEO_SUFFIXES)}"
        )
    return out


def truth_path_for(video: str | Path) -> Path:
    """The truth sidecar of a clip: `clip.mp4` -> `clip.truth.json`."""
    video = Path(video)
    return video.with_name(f"{video.stem}.truth.json")


def side_list(side: str | None, per_side: bool) -> tuple[str | None, ...]:
    """The sides to perform for `--side` (left, right, or both: left then right)."""
    if not per_side:
        return (None,)
    if side in (None, "both"):
        return ("left", "right")
    return (side,)
