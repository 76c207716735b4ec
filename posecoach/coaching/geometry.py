"""Pure geometry on image points in pixels.

Image axes: x grows to the right, y grows downwards. Angles are in degrees. Points are
length-2 arrays of pixel coordinates; never pass normalised coordinates, whose x and y units
differ whenever the frame is not square.
"""

from __future__ import annotations

import enum
import math

import numpy as np


class Direction(enum.Enum):
    """A direction in the image, relative to the person where it says so."""

    UP = "up"
    DOWN = "down"
    AHEAD = "ahead"  # the way the person faces
    BEHIND = "behind"


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.hypot(vector[0], vector[1]))
    if norm < 1e-9:
        return None
    return vector / norm


def direction_vector(direction: Direction, facing: int) -> np.ndarray:
    """Image-plane unit vector of a direction; `facing` is +1 (person faces image right) or -1."""
    if direction is Direction.UP:
        return np.array([0.0, -1.0])
    if direction is Direction.DOWN:
        return np.array([0.0, 1.0])
    sign = facing if direction is Direction.AHEAD else -facing
    return np.array([float(sign), 0.0])


def angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle a-b-c at vertex b, in [0, 180]; NaN when a or c coincides with b."""
    u, v = _unit(a - b), _unit(c - b)
    if u is None or v is None:
        return math.nan
    return math.degrees(math.acos(float(np.clip(np.dot(u, v), -1.0, 1.0))))


def angle_toward_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray, toward: np.ndarray) -> float:
    """Angle a-b-c at b measured on the side that contains the direction `toward`, in [0, 360).

    This tells a joint that opens past a straight line from one that does not: a bridge's
    hip angle measured on the side facing up is 135 deg on the floor, 180 deg in a line and
    over 180 deg when the lower back arches.
    """
    u, v = _unit(a - b), _unit(c - b)
    if u is None or v is None:
        return math.nan
    start = math.atan2(u[1], u[0])
    span = (math.atan2(v[1], v[0]) - start) % (2 * math.pi)
    probe = (math.atan2(toward[1], toward[0]) - start) % (2 * math.pi)
    inside = span if probe <= span else 2 * math.pi - span
    return math.degrees(inside)


def inclination_deg(start: np.ndarray, end: np.ndarray, reference: str = "vertical") -> float:
    """Angle in [0, 90] between the line start-end and the vertical or horizontal image axis."""
    vector = end - start
    if float(np.hypot(vector[0], vector[1])) < 1e-9:
        return math.nan
    from_horizontal = math.degrees(math.atan2(abs(vector[1]), abs(vector[0])))
    if reference == "horizontal":
        return from_horizontal
    if reference == "vertical":
        return 90.0 - from_horizontal
    raise ValueError(f"reference: expected 'vertical' or 'horizontal', got {reference!r}")


def offset_along(
    subject: np.ndarray, reference: np.ndarray, direction: np.ndarray, scale: float
) -> float:
    """How far `subject` lies from `reference` along a unit `direction`, divided by `scale`.

    Positive when the subject is further along the direction (ahead of, above, ...).
    """
    if not scale > 0:
        return math.nan
    return float(np.dot(subject - reference, direction)) / scale


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two points."""
    return float(np.hypot(*(a - b)))


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point halfway between a and b."""
    return (a + b) / 2.0
