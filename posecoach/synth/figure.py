"""The synthetic performer's body: human proportions, joint angles, forward kinematics.

A `Figure` (segment lengths and widths, varied by seed) and a `Posture` (joint angles in
degrees plus where the body stands) give the 3D positions of the skeleton's joints and of all
33 MediaPipe landmarks, in metres, in a world where y points up and the floor is y = 0.

Angles follow the catalogue's conventions: 0 is the anatomical standing position. The trunk
pitch tilts the whole body (0 upright, +90 face down, -90 lying on the back); hip flexion
swings the thigh forward of the trunk line; knee flexion bends the shin back; shoulder flexion
raises the arm forward; elbow flexion bends the forearm forward.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecoach.model.landmarks import NUM_LANDMARKS, Landmark

_UP = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class Frame3:
    """An orthonormal body frame: forward, up and the body's left, as world unit vectors."""

    fwd: np.ndarray
    up: np.ndarray
    left: np.ndarray

    @classmethod
    def facing(cls, yaw_deg: float) -> Frame3:
        """Upright, facing the world direction at `yaw_deg` (0 = +x, 90 = -z)."""
        yaw = math.radians(yaw_deg)
        fwd = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
        return cls(fwd, _UP.copy(), np.cross(_UP, fwd))

    def pitch(self, angle_deg: float) -> Frame3:
        """Tilt `up` toward `fwd` by the angle (about the left axis)."""
        c, s = _cs(angle_deg)
        return Frame3(self.fwd * c - self.up * s, self.up * c + self.fwd * s, self.left)

    def roll(self, angle_deg: float) -> Frame3:
        """Tilt `up` toward `left` by the angle (about the forward axis)."""
        c, s = _cs(angle_deg)
        return Frame3(self.fwd, self.up * c + self.left * s, self.left * c - self.up * s)

    def yaw(self, angle_deg: float) -> Frame3:
        """Turn `fwd` toward `left` by the angle (about the up axis)."""
        c, s = _cs(angle_deg)
        return Frame3(self.fwd * c + self.left * s, self.up, self.left * c - self.fwd * s)


def _cs(angle_deg: float) -> tuple[float, float]:
    rad = math.radians(angle_deg)
    return math.cos(rad), math.sin(rad)


@dataclass(frozen=True)
class Figure:
    """Body measurements in metres. `from_seed` varies them around adult averages."""

    torso_m: float = 0.50  # hip-joint centre to shoulder-joint centre
    neck_m: float = 0.10
    head_r_m: float = 0.105
    shoulder_half_m: float = 0.19
    hip_half_m: float = 0.095
    thigh_m: float = 0.43
    shin_m: float = 0.42
    upper_arm_m: float = 0.30
    forearm_m: float = 0.26
    hand_m: float = 0.09
    foot_m: float = 0.21
    ankle_h_m: float = 0.075
    heel_back_m: float = 0.05
    # Half-thicknesses of the solids, for drawing and for resting on the floor.
    chest_r_m: float = 0.11
    waist_r_m: float = 0.10
    thigh_r_m: float = 0.075
    shin_r_m: float = 0.055
    arm_r_m: float = 0.048
    forearm_r_m: float = 0.038

    @classmethod
    def from_seed(cls, rng: np.random.Generator) -> Figure:
        """An adult between about 1.55 and 1.90 m, slim to broad."""
        scale = float(rng.uniform(0.9, 1.1))
        girth = float(rng.uniform(0.85, 1.25))
        legs = float(rng.uniform(0.95, 1.05))  # leg length relative to the trunk
        base = cls()
        lengths = {
            "torso_m": base.torso_m * scale,
            "neck_m": base.neck_m * scale,
            "head_r_m": base.head_r_m * (0.5 + scale / 2),
            "shoulder_half_m": base.shoulder_half_m * scale * float(rng.uniform(0.9, 1.1)),
            "hip_half_m": base.hip_half_m * scale * float(rng.uniform(0.9, 1.15)),
            "thigh_m": base.thigh_m * scale * legs,
            "shin_m": base.shin_m * scale * legs,
            "upper_arm_m": base.upper_arm_m * scale,
            "forearm_m": base.forearm_m * scale,
            "hand_m": base.hand_m * scale,
            "foot_m": base.foot_m * scale,
            "ankle_h_m": base.ankle_h_m * scale,
            "heel_back_m": base.heel_back_m * scale,
        }
        widths = {
            name: getattr(base, name) * scale * girth
            for name in (
                "chest_r_m",
                "waist_r_m",
                "thigh_r_m",
                "shin_r_m",
                "arm_r_m",
                "forearm_r_m",
            )
        }
        return cls(**lengths, **widths)


@dataclass(frozen=True)
class LimbAngles:
    """One side's joint angles in degrees."""

    hip_flex: float = 0.0
    hip_abd: float = 0.0
    hip_rot: float = 0.0  # external rotation: the knee turns outward
    knee_flex: float = 0.0
    ankle_flex: float = 0.0  # + lifts the toes (dorsiflexion), - points them
    shoulder_flex: float = 0.0
    shoulder_abd: float = 8.0
    elbow_flex: float = 10.0


@dataclass(frozen=True)
class Posture:
    """Everything that places the body: where it stands, which way it faces, its joint angles.

    `x_m`/`z_m` put the pelvis over the floor; its height follows from resting the lowest part
    of the body on the floor (unless `lift_m` raises it).
    """

    yaw_deg: float = 0.0
    x_m: float = 0.0
    z_m: float = 0.0
    lift_m: float = 0.0
    trunk_pitch: float = 0.0
    trunk_roll: float = 0.0
    chest_twist: float = 0.0  # the shoulders turn toward the left (+) about the spine
    neck_pitch: float = 0.0  # + chin toward the chest
    left: LimbAngles = field(default_factory=LimbAngles)
    right: LimbAngles = field(default_factory=LimbAngles)

    def limb(self, side: str) -> LimbAngles:
        return self.left if side == "left" else self.right

    def with_limb(self, side: str, **angles: float) -> Posture:
        limb = dataclasses.replace(self.limb(side), **angles)
        if side == "left":
            return dataclasses.replace(self, left=limb)
        return dataclasses.replace(self, right=limb)


def blend(a: Posture, b: Posture, t: float) -> Posture:
    """The posture a fraction `t` of the way from `a` to `b`, every number interpolated."""
    result: Posture = _lerp(a, b, t)
    return result


def _lerp(a: Any, b: Any, t: float) -> Any:
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a)(
            **{
                f.name: _lerp(getattr(a, f.name), getattr(b, f.name), t)
                for f in dataclasses.fields(a)
            }
        )
    return a + (b - a) * t


# Joints of the skeleton, besides the landmarks: named points used to draw the solids.
@dataclass(frozen=True)
class Skeleton:
    """3D positions (metres) of one posture: the 33 landmarks and the drawing frames."""

    landmarks: np.ndarray  # (33, 3)
    pelvis: np.ndarray
    neck: np.ndarray
    head: np.ndarray
    head_frame: Frame3
    chest_frame: Frame3
    pelvis_frame: Frame3
    foot_up: dict[str, np.ndarray]  # the sole's normal per side (for drawing the feet)

    def moved(self, offset_m: np.ndarray) -> Skeleton:
        """The same skeleton translated by `offset_m` (a world vector, metres)."""
        return dataclasses.replace(
            self,
            landmarks=self.landmarks + offset_m,
            pelvis=self.pelvis + offset_m,
            neck=self.neck + offset_m,
            head=self.head + offset_m,
        )


_SIDES = (("left", 1.0), ("right", -1.0))

_LM_BY_SIDE = {
    "left": {
        "shoulder": Landmark.LEFT_SHOULDER,
        "elbow": Landmark.LEFT_ELBOW,
        "wrist": Landmark.LEFT_WRIST,
        "pinky": Landmark.LEFT_PINKY,
        "index": Landmark.LEFT_INDEX,
        "thumb": Landmark.LEFT_THUMB,
        "hip": Landmark.LEFT_HIP,
        "knee": Landmark.LEFT_KNEE,
        "ankle": Landmark.LEFT_ANKLE,
        "heel": Landmark.LEFT_HEEL,
        "foot": Landmark.LEFT_FOOT_INDEX,
        "ear": Landmark.LEFT_EAR,
        "eye_inner": Landmark.LEFT_EYE_INNER,
        "eye": Landmark.LEFT_EYE,
        "eye_outer": Landmark.LEFT_EYE_OUTER,
        "mouth": Landmark.MOUTH_LEFT,
    },
    "right": {
        "shoulder": Landmark.RIGHT_SHOULDER,
        "elbow": Landmark.RIGHT_ELBOW,
        "wrist": Landmark.RIGHT_WRIST,
        "pinky": Landmark.RIGHT_PINKY,
        "index": Landmark.RIGHT_INDEX,
        "thumb": Landmark.RIGHT_THUMB,
        "hip": Landmark.RIGHT_HIP,
        "knee": Landmark.RIGHT_KNEE,
        "ankle": Landmark.RIGHT_ANKLE,
        "heel": Landmark.RIGHT_HEEL,
        "foot": Landmark.RIGHT_FOOT_INDEX,
        "ear": Landmark.RIGHT_EAR,
        "eye_inner": Landmark.RIGHT_EYE_INNER,
        "eye": Landmark.RIGHT_EYE,
        "eye_outer": Landmark.RIGHT_EYE_OUTER,
        "mouth": Landmark.MOUTH_RIGHT,
    },
}


def landmark(side: str, joint: str) -> Landmark:
    """The MediaPipe landmark of a joint on a side: landmark('left', 'knee')."""
    return _LM_BY_SIDE[side][joint]


def pose_skeleton(figure: Figure, posture: Posture) -> Skeleton:
    """Forward kinematics: the posture's landmarks with the pelvis at (x, 0, z), unsettled."""
    f = figure
    points = np.zeros((NUM_LANDMARKS, 3))
    body = Frame3.facing(posture.yaw_deg).pitch(posture.trunk_pitch).roll(posture.trunk_roll)
    pelvis = np.array([posture.x_m, 0.0, posture.z_m])
    chest = body.yaw(posture.chest_twist)
    neck = pelvis + body.up * f.torso_m
    head_frame = chest.pitch(posture.neck_pitch)
    head = neck + head_frame.up * (f.neck_m + f.head_r_m * 0.8)
    r = f.head_r_m
    points[Landmark.NOSE] = head + head_frame.fwd * r * 1.05 - head_frame.up * r * 0.05
    foot_up: dict[str, np.ndarray] = {}
    for side, sign in _SIDES:
        lm = _LM_BY_SIDE[side]
        limb = posture.limb(side)
        lateral = head_frame.left * sign
        for name, across, ahead, rise in (
            ("eye_inner", 0.15, 0.9, 0.3),
            ("eye", 0.33, 0.85, 0.3),
            ("eye_outer", 0.5, 0.72, 0.3),
            ("ear", 0.92, 0.0, 0.1),
            ("mouth", 0.28, 0.85, -0.45),
        ):
            points[lm[name]] = (
                head + lateral * r * across + head_frame.fwd * r * ahead + head_frame.up * r * rise
            )

        # Leg: hip flexion swings the thigh forward, abduction outward, rotation turns the knee.
        hip = pelvis + body.left * sign * f.hip_half_m
        thigh = body.pitch(-limb.hip_flex).roll(-sign * limb.hip_abd).yaw(sign * limb.hip_rot)
        knee = hip - thigh.up * f.thigh_m
        shin = thigh.pitch(limb.knee_flex)
        ankle = knee - shin.up * f.shin_m
        foot = shin.pitch(-limb.ankle_flex)  # foot.fwd runs along the sole, heel to toes
        points[lm["hip"]], points[lm["knee"]], points[lm["ankle"]] = hip, knee, ankle
        points[lm["heel"]] = ankle - foot.up * f.ankle_h_m * 0.8 - foot.fwd * f.heel_back_m
        points[lm["foot"]] = ankle - foot.up * f.ankle_h_m * 0.8 + foot.fwd * f.foot_m * 0.8
        foot_up[side] = foot.up

        # Arm: shoulder flexion raises it forward, abduction sideways, the elbow bends forward.
        shoulder = neck - chest.up * 0.03 + chest.left * sign * f.shoulder_half_m
        arm = chest.pitch(-limb.shoulder_flex).roll(-sign * limb.shoulder_abd)
        elbow = shoulder - arm.up * f.upper_arm_m
        forearm = arm.pitch(-limb.elbow_flex)
        wrist = elbow - forearm.up * f.forearm_m
        points[lm["shoulder"]], points[lm["elbow"]], points[lm["wrist"]] = shoulder, elbow, wrist
        hand = -forearm.up
        points[lm["index"]] = wrist + hand * f.hand_m + forearm.fwd * 0.01
        points[lm["pinky"]] = wrist + hand * f.hand_m * 0.85 - forearm.left * sign * 0.03
        points[lm["thumb"]] = wrist + hand * f.hand_m * 0.45 + forearm.left * sign * 0.035
    return Skeleton(
        landmarks=points,
        pelvis=pelvis,
        neck=neck,
        head=head,
        head_frame=head_frame,
        chest_frame=chest,
        pelvis_frame=body,
        foot_up=foot_up,
    )


def _contact_heights(figure: Figure, skeleton: Skeleton) -> np.ndarray:
    """The lowest surface height near each part that can rest on the floor."""
    f, lm = figure, skeleton.landmarks
    down_extent = []
    for side in ("left", "right"):
        ids = _LM_BY_SIDE[side]
        down_extent += [
            lm[ids["heel"], 1] - 0.01,
            lm[ids["foot"], 1] - 0.01,
            lm[ids["knee"], 1] - f.shin_r_m,
            lm[ids["hip"], 1] - f.thigh_r_m,
            lm[ids["elbow"], 1] - f.forearm_r_m,
            lm[ids["index"], 1] - 0.01,
            lm[ids["shoulder"], 1] - f.arm_r_m,
        ]
    # The back or the front of the trunk, and the back of the head.
    for point in (skeleton.pelvis, skeleton.neck):
        normal_extent = abs(skeleton.pelvis_frame.fwd[1]) * f.chest_r_m
        down_extent.append(point[1] - normal_extent - abs(skeleton.pelvis_frame.left[1]) * 0.1)
    down_extent.append(skeleton.head[1] - f.head_r_m)
    return np.array(down_extent)


def settle(figure: Figure, posture: Posture) -> Skeleton:
    """The posture's skeleton resting on the floor (its lowest part at y = 0) plus `lift_m`."""
    skeleton = pose_skeleton(figure, posture)
    shift = np.array([0.0, posture.lift_m - float(_contact_heights(figure, skeleton).min()), 0.0])
    return skeleton.moved(shift)


def two_link(upper_m: float, lower_m: float, reach_m: float) -> tuple[float, float]:
    """Angles for a two-segment limb spanning `reach_m`: (upper offset, bend), degrees.

    The upper segment turns `upper offset` away from the line to the target, toward the side
    the joint bends out to; `bend` is 180 minus the inner angle at the middle joint. Reaches
    beyond the limb's length are clamped to a straight limb.
    """
    reach = min(max(reach_m, abs(upper_m - lower_m) + 1e-6), upper_m + lower_m - 1e-6)
    cos_mid = (upper_m**2 + lower_m**2 - reach**2) / (2 * upper_m * lower_m)
    inner = math.degrees(math.acos(max(-1.0, min(1.0, cos_mid))))
    cos_up = (upper_m**2 + reach**2 - lower_m**2) / (2 * upper_m * reach)
    offset = math.degrees(math.acos(max(-1.0, min(1.0, cos_up))))
    return offset, 180.0 - inner
