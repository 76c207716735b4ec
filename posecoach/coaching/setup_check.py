"""The camera set-up checks: whether someone is in the picture, near enough, whole, and seen
from the view a pose needs (`SetupCheck`), with the body turn and size they read.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from posecoach.coaching.assessment import Status
from posecoach.coaching.body import MAIN_JOINTS, PAIRED_JOINTS, parse_role, torso_length_px
from posecoach.coaching.posefile import PoseSpec, View
from posecoach.config.defaults import CoachSettings
from posecoach.model.landmarks import Landmark, Landmarks

# The torso must be in view: a shoulder and a hip on at least one side (side-on, the far
# side is often hidden behind the body).
_TORSO_PAIRS = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
)


# Fixes for a body cut off at one edge of the picture.
_EDGE_FIXES = {
    "top": "Step back or tilt the camera up",
    "bottom": "Step back or tilt the camera down",
    "left": "Move toward the middle of the picture",
    "right": "Move toward the middle of the picture",
}
_PART_NAMES = {Landmark.NOSE: "head"} | {
    landmark: {"ear": "head", "foot": "feet"}.get(joint, joint + "s")
    for joint, pair in PAIRED_JOINTS.items()
    for landmark in pair
}


def body_turn_deg(landmarks: Landmarks) -> float:
    """How far the body is turned from face-on: 0 facing the camera, 90 side-on.

    Read from the depth difference between the left and right hips, and between the left and
    right shoulders, in metric world coordinates when the model gives them, else in image
    units. The larger of the two turns counts: in a twist (the chest turned open over a
    side-on lunge) the hips still show the stance.
    """
    if landmarks.world_xyz_m is not None:
        pts = landmarks.world_xyz_m
        across = np.array(
            [
                pts[Landmark.LEFT_SHOULDER] - pts[Landmark.RIGHT_SHOULDER],
                pts[Landmark.LEFT_HIP] - pts[Landmark.RIGHT_HIP],
            ]
        )
        dx, dz = across[:, 0], across[:, 2]
    else:
        width = landmarks.resolution_wh[0]
        x, z = landmarks.xy_norm[:, 0] * width, landmarks.z * width
        dx = np.array(
            [
                x[Landmark.LEFT_SHOULDER] - x[Landmark.RIGHT_SHOULDER],
                x[Landmark.LEFT_HIP] - x[Landmark.RIGHT_HIP],
            ]
        )
        dz = np.array(
            [
                z[Landmark.LEFT_SHOULDER] - z[Landmark.RIGHT_SHOULDER],
                z[Landmark.LEFT_HIP] - z[Landmark.RIGHT_HIP],
            ]
        )
    return max(math.degrees(math.atan2(abs(z), abs(x))) for x, z in zip(dx, dz, strict=True))


def _listed(parts: list[str]) -> str:
    """'head is', 'knees and ankles are', 'wrists, knees and ankles are'."""
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text + (" is" if parts == ["head"] else " are")


def _both_sides(role: str) -> tuple[Landmark, ...]:
    """The landmarks a role can mean, on either side of the body."""
    parsed = parse_role(role)
    assert parsed is not None, role
    if parsed[1] == "nose":
        return (Landmark.NOSE,)
    return PAIRED_JOINTS[parsed[1]]


def body_size_px(landmarks: Landmarks) -> float:
    """How big the body is in the picture, in pixels: the torso length, or a third of the span
    of the main joints when that is larger (lying seen from the feet, the torso is
    foreshortened though the body is near)."""
    span = landmarks.xy_px[MAIN_JOINTS]
    extent = float((span.max(axis=0) - span.min(axis=0)).max())
    return max(torso_length_px(landmarks), extent / 3)


class SetupCheck:
    """Judges, frame by frame, whether the camera set-up lets `pose` be judged. The view is
    judged on the median body turn of the last view_window_s, so a frame or two of a misread
    turn neither refuses nor admits a view."""

    def __init__(self, pose: PoseSpec, settings: CoachSettings) -> None:
        self.settings = s = settings
        if pose.turn_deg is not None:
            self.turn_range = pose.turn_deg
        elif pose.view is View.SIDE:
            self.turn_range = (s.side_view_min_deg, 90.0)
        else:
            self.turn_range = (0.0, s.front_view_max_deg)
        # Every landmark the rules may read (both sides: which side a role means can change).
        self._needed = sorted(
            {
                landmark
                for rule in pose.rules
                for role in rule.roles()
                for landmark in _both_sides(role)
            }
            | {landmark for pair in _TORSO_PAIRS for landmark in pair}
        )
        # The body turns measured lately (timestamp, deg).
        self._turns: deque[tuple[float, float]] = deque()

    def clear(self) -> None:
        """Forget the body turns measured so far."""
        self._turns.clear()

    def check(
        self, landmarks: Landmarks | None, trusted: np.ndarray
    ) -> tuple[Status, float | None, str | None]:
        """Can the form be judged from this camera? The status, body turn and a prompt that
        says how to fix the set-up (None: the status's usual prompt). `trusted`: per
        landmark, whether it is trusted in this frame."""
        if landmarks is None:
            self._turns.clear()
            return Status.NO_PERSON, None, None
        turn = self._steady_turn(landmarks)
        height = landmarks.resolution_wh[1]
        if body_size_px(landmarks) < self.settings.min_body_frac * height:
            return Status.TOO_FAR, turn, None
        needed = landmarks.xy_norm[self._needed]
        if np.any(needed.max(axis=0) - needed.min(axis=0) > 1.0):  # larger than the picture
            return Status.TOO_CLOSE, turn, None
        edges = self._cut_edges(needed)
        if edges:
            edge, joints = next(iter(edges.items()))
            return Status.CUT_OFF, turn, f"{_EDGE_FIXES[edge]}: your {joints} out of view"
        low, high = self.turn_range
        if not low <= turn <= high:
            return Status.WRONG_VIEW, turn, None
        if not all(trusted[list(pair)].any() for pair in _TORSO_PAIRS):
            return Status.JOINTS_HIDDEN, turn, None
        return Status.IN_POSITION, turn, None

    def _steady_turn(self, landmarks: Landmarks) -> float:
        """The body turn over the last view_window_s: the median of the frames' turns."""
        now = landmarks.timestamp_ms
        self._turns.append((now, body_turn_deg(landmarks)))
        while now - self._turns[0][0] > self.settings.view_window_s * 1000:
            self._turns.popleft()
        return float(np.median([turn for _, turn in self._turns]))

    def _cut_edges(self, xy: np.ndarray) -> dict[str, str]:
        """Frame edges that cut off the landmarks the rules read (`xy`: their normalised
        positions, in `self._needed` order): edge -> the body parts (text)."""
        margin = self.settings.edge_margin
        edges: dict[str, list[str]] = {}
        for edge, outside in (
            ("bottom", xy[:, 1] > 1 + margin),
            ("top", xy[:, 1] < -margin),
            ("left", xy[:, 0] < -margin),
            ("right", xy[:, 0] > 1 + margin),
        ):
            for landmark in np.array(self._needed)[outside]:
                part = _PART_NAMES[Landmark(int(landmark))]
                if part not in edges.setdefault(edge, []):
                    edges[edge].append(part)
        return {edge: _listed(parts) for edge, parts in edges.items() if parts}
