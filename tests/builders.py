"""Landmarks built from a few joint angles, so a test reads like the situation it checks."""

from __future__ import annotations

import math

import numpy as np

from posecoach.model.landmarks import NUM_LANDMARKS, Landmark, Landmarks

L = Landmark
RESOLUTION = (1280, 720)

# Segment lengths in pixels (a person about 600 px tall standing in a 720 px frame).
TORSO, THIGH, SHIN, UPPER_ARM, FOREARM, FOOT, HEAD = 170.0, 150.0, 140.0, 110.0, 100.0, 50.0, 45.0


def _dir(deg_from_down: float, facing: int) -> np.ndarray:
    """Unit vector rotated `deg_from_down` from straight down towards the facing direction."""
    rad = math.radians(deg_from_down)
    return np.array([facing * math.sin(rad), math.cos(rad)])


def landmarks_from_points(
    points: dict[Landmark, np.ndarray],
    *,
    near_left: bool,
    resolution: tuple[int, int] = RESOLUTION,
    timestamp_ms: float = 0.0,
    frame_index: int = 0,
    visibility: dict[Landmark, float] | None = None,
) -> Landmarks:
    """Landmarks at the given pixel points; missing landmarks sit at the hip midpoint.

    The near side gets a smaller depth, and world landmarks are left out so the view is read
    from image depth (side-on: the two sides differ mostly in depth).
    """
    width, height = resolution
    hips = (points[L.LEFT_HIP] + points[L.RIGHT_HIP]) / 2
    xy = np.tile(hips / np.array([width, height]), (NUM_LANDMARKS, 1))
    z = np.zeros(NUM_LANDMARKS)
    for landmark, point in points.items():
        xy[landmark] = point / np.array([width, height])
    for landmark in L:
        is_left = landmark.name.startswith("LEFT")
        is_right = landmark.name.startswith("RIGHT")
        if is_left or is_right:
            z[landmark] = -0.1 if is_left == near_left else 0.1
    vis = np.ones(NUM_LANDMARKS)
    for landmark, value in (visibility or {}).items():
        vis[landmark] = value
    return Landmarks(xy, z, vis, None, resolution, timestamp_ms, frame_index)


def _head(
    points: dict[Landmark, np.ndarray], neck: np.ndarray, up: np.ndarray, facing: int
) -> None:
    centre = neck + up * HEAD
    ahead = np.array([facing, 0.0])
    points[L.NOSE] = centre + ahead * HEAD * 0.6
    for ear in (L.LEFT_EAR, L.RIGHT_EAR):
        points[ear] = centre - ahead * HEAD * 0.2
    for eye in (L.LEFT_EYE, L.RIGHT_EYE):
        points[eye] = centre + ahead * HEAD * 0.45 + np.array([0.0, -8.0])


def _foot(
    points: dict[Landmark, np.ndarray],
    ankle: np.ndarray,
    side: str,
    facing: int,
    toes_down: bool = False,
) -> None:
    ahead = np.array([facing, 0.0])
    heel, toe = getattr(L, f"{side}_HEEL"), getattr(L, f"{side}_FOOT_INDEX")
    if toes_down:  # a back foot with tucked toes: heel up, toes on the floor behind
        points[heel] = ankle + np.array([0.0, -10.0]) - ahead * 10
        points[toe] = ankle + np.array([0.0, 30.0]) - ahead * 25
    else:
        points[heel] = ankle + np.array([0.0, 15.0]) - ahead * 15
        points[toe] = ankle + np.array([0.0, 20.0]) + ahead * FOOT


def half_kneeling(
    *,
    front_knee_deg: float = 90.0,
    torso_lean_deg: float = 0.0,
    back_thigh_deg: float = 10.0,
    facing: int = 1,
    back_leg: str = "RIGHT",
    timestamp_ms: float = 0.0,
    frame_index: int = 0,
    visibility: dict[Landmark, float] | None = None,
) -> Landmarks:
    """A half-kneeling lunge seen side-on.

    front_knee_deg: the front knee's angle (90: shin vertical under a level thigh).
    torso_lean_deg: forward lean of the torso from vertical.
    back_thigh_deg: how far the back thigh points behind straight down (hip extension).
    back_leg: "LEFT" or "RIGHT", the kneeling leg.
    """
    front_leg = "LEFT" if back_leg == "RIGHT" else "RIGHT"
    hip = np.array([640.0, 380.0])
    up = _dir(180.0 - torso_lean_deg, facing)  # lean forward: the shoulders move ahead
    shoulder = hip + up * TORSO
    # Front thigh level (pointing ahead), shin turned by the knee angle.
    front_knee = hip + _dir(90.0, facing) * THIGH
    shin_from_down = 90.0 - front_knee_deg  # 90 deg knee: shin straight down
    front_ankle = front_knee + _dir(-shin_from_down, facing) * SHIN
    back_knee = hip + _dir(-back_thigh_deg, facing) * THIGH
    back_ankle = back_knee + _dir(-90.0, facing) * SHIN * 0.95 + np.array([0.0, -5.0])
    points: dict[Landmark, np.ndarray] = {}
    for side in ("LEFT", "RIGHT"):
        points[getattr(L, f"{side}_HIP")] = hip
        points[getattr(L, f"{side}_SHOULDER")] = shoulder
        elbow = shoulder + _dir(0.0, facing) * UPPER_ARM
        points[getattr(L, f"{side}_ELBOW")] = elbow
        points[getattr(L, f"{side}_WRIST")] = elbow + _dir(60.0, facing) * FOREARM
    points[getattr(L, f"{front_leg}_KNEE")] = front_knee
    points[getattr(L, f"{front_leg}_ANKLE")] = front_ankle
    points[getattr(L, f"{back_leg}_KNEE")] = back_knee
    points[getattr(L, f"{back_leg}_ANKLE")] = back_ankle
    _foot(points, front_ankle, front_leg, facing)
    _foot(points, back_ankle, back_leg, facing, toes_down=True)
    _head(points, shoulder, up, facing)
    return landmarks_from_points(
        points,
        near_left=(facing == -1),
        timestamp_ms=timestamp_ms,
        frame_index=frame_index,
        visibility=visibility,
    )


def bridge(
    *,
    hip_deg: float = 135.0,
    knee_deg: float = 70.0,
    facing: int = 1,
    timestamp_ms: float = 0.0,
    frame_index: int = 0,
) -> Landmarks:
    """A bridge seen side-on, lying with the head towards -facing and the knees up.

    hip_deg: shoulder-hip-knee angle measured on the upper side (135 lying down, 180 in a
    line, more when the back arches). The shoulders stay on the floor; as the hips rise the
    torso slopes up to them and the thigh flattens, as in a real bridge.
    knee_deg: the knee angle, with the foot below the knee.
    """
    torso_slope = math.radians(min(max((hip_deg - 135.0) * 0.5, 0.0), 40.0))
    thigh_slope = math.radians(180.0 - hip_deg) + torso_slope
    ahead = np.array([float(facing), 0.0])
    up = np.array([0.0, -1.0])
    shoulder = np.array([640.0 - facing * 220.0, 560.0])
    hip = shoulder + (ahead * math.cos(torso_slope) + up * math.sin(torso_slope)) * TORSO
    knee = hip + (ahead * math.cos(thigh_slope) + up * math.sin(thigh_slope)) * THIGH
    # The shin leaves the knee knee_deg away from the thigh, turning down towards the floor.
    to_hip = math.atan2(*(hip - knee)[::-1])
    shin_angle = to_hip + math.radians(knee_deg) * (-facing)
    ankle = knee + np.array([math.cos(shin_angle), math.sin(shin_angle)]) * SHIN
    points: dict[Landmark, np.ndarray] = {}
    for side in ("LEFT", "RIGHT"):
        points[getattr(L, f"{side}_SHOULDER")] = shoulder
        points[getattr(L, f"{side}_HIP")] = hip
        points[getattr(L, f"{side}_KNEE")] = knee
        points[getattr(L, f"{side}_ANKLE")] = ankle
        points[getattr(L, f"{side}_ELBOW")] = shoulder + ahead * UPPER_ARM
        points[getattr(L, f"{side}_WRIST")] = shoulder + ahead * (UPPER_ARM + FOREARM)
        _foot(points, ankle, side, facing)
    _head(points, shoulder, -ahead, facing)
    points[L.NOSE] = shoulder - ahead * HEAD + up * HEAD * 0.6
    return landmarks_from_points(
        points, near_left=(facing == -1), timestamp_ms=timestamp_ms, frame_index=frame_index
    )


def swap_left_right(landmarks: Landmarks) -> Landmarks:
    """The same body with every left/right label swapped (a model mislabelling a frame)."""
    order = list(range(NUM_LANDMARKS))
    for landmark in L:
        if landmark.name.startswith("LEFT_"):
            other = L[landmark.name.replace("LEFT_", "RIGHT_")]
            order[landmark], order[other] = other, landmark
    return Landmarks(
        landmarks.xy_norm[order],
        landmarks.z[order],
        landmarks.visibility[order],
        None,
        landmarks.resolution_wh,
        landmarks.timestamp_ms,
        landmarks.frame_index,
    )


def side_posture(
    *,
    torso_deg: float,
    near_leg: tuple[float, float],
    far_leg: tuple[float, float],
    near_arm: tuple[float, float] = (0.0, 0.0),
    far_arm: tuple[float, float] = (0.0, 0.0),
    facing: int = 1,
    hip: tuple[float, float] = (640.0, 420.0),
    timestamp_ms: float = 0.0,
    frame_index: int = 0,
) -> Landmarks:
    """Any posture seen side-on, from the directions of its segments.

    Each direction is in degrees from straight down, turning toward the way the person faces
    (`facing`, +1 image right): 0 down, 90 ahead, 180 up, -90 (or 270) behind. `torso_deg` is
    the hip-to-shoulder direction (180 upright; -90 lying on the back, head behind); a leg is
    (thigh, shin) and an arm (upper arm, forearm). The near side is the left when facing -1.
    """
    near, far = ("LEFT", "RIGHT") if facing == -1 else ("RIGHT", "LEFT")
    hip_xy = np.array(hip)
    shoulder = hip_xy + _dir(torso_deg, facing) * TORSO
    points: dict[Landmark, np.ndarray] = {}
    for side, (thigh, shin), (upper, fore) in (
        (near, near_leg, near_arm),
        (far, far_leg, far_arm),
    ):
        knee = hip_xy + _dir(thigh, facing) * THIGH
        ankle = knee + _dir(shin, facing) * SHIN
        elbow = shoulder + _dir(upper, facing) * UPPER_ARM
        points[getattr(L, f"{side}_HIP")] = hip_xy
        points[getattr(L, f"{side}_SHOULDER")] = shoulder
        points[getattr(L, f"{side}_KNEE")] = knee
        points[getattr(L, f"{side}_ANKLE")] = ankle
        points[getattr(L, f"{side}_ELBOW")] = elbow
        points[getattr(L, f"{side}_WRIST")] = elbow + _dir(fore, facing) * FOREARM
        _foot(points, ankle, side, facing)
    _head(points, shoulder, _dir(torso_deg, facing), facing)
    return landmarks_from_points(
        points, near_left=(facing == -1), timestamp_ms=timestamp_ms, frame_index=frame_index
    )


def front_posture(
    *,
    torso_px: float = TORSO,
    shoulder_width_px: float = 130.0,
    knee_out_px: float = 190.0,
    knee_up_px: float = 40.0,
    ankle_out_px: float = 30.0,
    ankle_down_px: float = 30.0,
    timestamp_ms: float = 0.0,
    frame_index: int = 0,
) -> Landmarks:
    """A body seen face-on, sitting or lying toward the camera: the torso as long as
    `torso_px` in the picture (shorter than the body's own when lying, foreshortened), knees
    `knee_out_px` out to each side and `knee_up_px` above the hips, ankles `ankle_out_px` out
    and `ankle_down_px` below the hips."""
    hip = np.array([640.0, 500.0])
    points: dict[Landmark, np.ndarray] = {}
    for side, sign in (("LEFT", 1.0), ("RIGHT", -1.0)):  # the person's left on image right
        side_hip = hip + np.array([sign * 45.0, 0.0])
        shoulder = hip + np.array([sign * shoulder_width_px / 2, -torso_px])
        points[getattr(L, f"{side}_HIP")] = side_hip
        points[getattr(L, f"{side}_SHOULDER")] = shoulder
        points[getattr(L, f"{side}_ELBOW")] = shoulder + np.array([sign * 20.0, 100.0])
        points[getattr(L, f"{side}_WRIST")] = hip + np.array([sign * 20.0, 20.0])
        points[getattr(L, f"{side}_KNEE")] = hip + np.array([sign * knee_out_px, -knee_up_px])
        ankle = hip + np.array([sign * ankle_out_px, ankle_down_px])
        points[getattr(L, f"{side}_ANKLE")] = ankle
        points[getattr(L, f"{side}_HEEL")] = ankle + np.array([-sign * 10.0, 5.0])
        points[getattr(L, f"{side}_FOOT_INDEX")] = ankle + np.array([-sign * 5.0, 20.0])
        points[getattr(L, f"{side}_EAR")] = hip + np.array([sign * 35.0, -torso_px - 50.0])
        points[getattr(L, f"{side}_EYE")] = hip + np.array([sign * 18.0, -torso_px - 60.0])
    points[L.NOSE] = hip + np.array([0.0, -torso_px - 50.0])
    width, height = RESOLUTION
    xy = np.array([points.get(landmark, hip) for landmark in L]) / np.array([width, height])
    return Landmarks(
        xy,
        np.zeros(NUM_LANDMARKS),
        np.ones(NUM_LANDMARKS),
        None,
        RESOLUTION,
        timestamp_ms,
        frame_index,
    )
