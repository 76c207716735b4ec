"""Drawing over a frame: the body (`draw_body`: the skeleton, each rule's joints in its
verdict's colour), a message across the middle (`banner`), and the developer's view of one
frame (`annotate`: the body with its measured angles and a panel of rule ids, as `posecoach
tune` shows it). The coach's own screen is laid out by `posecoach.output.layout`.

Style lives in `OverlayStyle`; sizes scale with the frame height so the drawing reads the
same on a 480p webcam and a 1080p video.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.model.landmarks import SKELETON, Landmarks

Color = tuple[int, int, int]  # BGR


@dataclass(frozen=True)
class OverlayStyle:
    passed: Color = (80, 200, 60)
    failed: Color = (40, 40, 230)
    unknown: Color = (160, 160, 160)
    bone: Color = (235, 235, 235)
    text: Color = (255, 255, 255)
    panel: Color = (30, 30, 30)
    setup_prompt: Color = (0, 170, 255)
    panel_alpha: float = 0.55
    # Sizes as fractions of the frame height.
    font_scale_per_px: float = 1 / 900
    line_per_px: float = 1 / 300
    joint_per_px: float = 1 / 160


FONT = cv2.FONT_HERSHEY_SIMPLEX


def _verdict_color(passed: bool | None, style: OverlayStyle) -> Color:
    if passed is None:
        return style.unknown
    return style.passed if passed else style.failed


def _text(
    image: np.ndarray,
    text: str,
    origin: tuple[int, int],
    scale: float,
    color: Color,
    thickness: int,
) -> None:
    """`text` in `color` with a black outline, its baseline starting at `origin`.

    Each text is drawn once into a small picture and kept (most of the overlay's texts are
    the same from frame to frame), then blended in where it goes: the same pixels as drawing
    it on the frame, for a fraction of the cost."""
    sprite, alpha, (left, top) = _text_sprite(text, scale, color, thickness)
    x0, y0 = origin[0] - left, origin[1] - top
    # The part of the sprite inside the image.
    sx0, sy0 = max(-x0, 0), max(-y0, 0)
    sx1 = min(sprite.shape[1], image.shape[1] - x0)
    sy1 = min(sprite.shape[0], image.shape[0] - y0)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    region = image[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
    weight = alpha[sy0:sy1, sx0:sx1]
    blended = region * (255 - weight) + sprite[sy0:sy1, sx0:sx1] * weight
    region[:] = (blended + 127) // 255


@functools.lru_cache(maxsize=1024)
def _text_sprite(
    text: str, scale: float, color: Color, thickness: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The outlined text on black, its coverage (0-255, per pixel, for all three channels),
    and where its baseline origin lies in it."""
    outline = thickness + 2
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, outline)
    pad = outline + 2
    size = (height + baseline + 2 * pad, width + 2 * pad)
    origin = (pad, pad + height)
    sprite = np.zeros((*size, 3), np.uint8)
    coverage = np.zeros(size, np.uint8)
    cv2.putText(coverage, text, origin, FONT, scale, (255,), outline, cv2.LINE_AA)
    cv2.putText(sprite, text, origin, FONT, scale, color, thickness, cv2.LINE_AA)
    weight = np.repeat(coverage[:, :, None], 3, axis=2).astype(np.uint16)
    return sprite.astype(np.uint16), weight, origin


def _panel(
    image: np.ndarray, top_left: tuple[int, int], bottom_right: tuple[int, int], style: OverlayStyle
) -> None:
    x0, y0 = max(top_left[0], 0), max(top_left[1], 0)
    x1, y1 = min(bottom_right[0], image.shape[1]), min(bottom_right[1], image.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = image[y0:y1, x0:x1]
    shade = np.empty_like(region)
    shade[:] = style.panel
    cv2.addWeighted(shade, style.panel_alpha, region, 1 - style.panel_alpha, 0, dst=region)


def counter_text(pose: PoseSpec, assessment: Assessment) -> str:
    """'Reps 3/12' or 'Hold 12.3/30 s', for the current side."""
    if pose.mode is Mode.REPS:
        return f"Reps {assessment.reps}/{pose.target:g}"
    return f"Hold {assessment.hold_s:.1f}/{pose.target:g} s"


def annotate(
    image: np.ndarray,
    landmarks: Landmarks | None,
    assessment: Assessment,
    pose: PoseSpec,
    *,
    timing: str | None = None,
    mirror: bool = False,
    style: OverlayStyle | None = None,
) -> np.ndarray:
    """A copy of `image` (BGR) with skeleton, rule colours, angles, counter, side and prompt.

    With `mirror` the picture is flipped left-right (as a mirror, for live use) while the
    text stays readable. `timing` is a line about speed for the panel ("28 fps  41 ms").
    """
    style = style or OverlayStyle()
    canvas = draw_body(image, landmarks, assessment, mirror=mirror, values=True, style=style)
    height = canvas.shape[0]
    scale = max(height * style.font_scale_per_px, 0.35)
    thick = max(round(height * style.line_per_px), 1)
    _draw_panel(canvas, pose, assessment, timing, style, scale, thick)
    if assessment.prompt:
        _draw_prompt(canvas, assessment, style, scale, thick)
    return canvas


def draw_body(
    image: np.ndarray,
    landmarks: Landmarks | None,
    assessment: Assessment,
    *,
    mirror: bool = False,
    values: bool = False,
    style: OverlayStyle | None = None,
) -> np.ndarray:
    """A copy of `image` (flipped left-right with `mirror`) with the skeleton and each rule's
    joints in its verdict's colour; with `values`, the measured angles beside their joints."""
    canvas = cv2.flip(image, 1) if mirror else image.copy()
    draw_body_into(canvas, landmarks, assessment, mirror=mirror, values=values, style=style)
    return canvas


def draw_body_into(
    canvas: np.ndarray,
    landmarks: Landmarks | None,
    assessment: Assessment,
    *,
    scale: float = 1.0,
    mirror: bool = False,
    values: bool = False,
    style: OverlayStyle | None = None,
) -> None:
    """`draw_body` on `canvas` itself: the frame already drawn there `scale` times its size
    (and flipped, with `mirror`)."""
    style = style or OverlayStyle()
    height = canvas.shape[0]
    font = max(height * style.font_scale_per_px, 0.35)
    thick = max(round(height * style.line_per_px), 1)
    radius = max(round(height * style.joint_per_px), 2)
    points = _draw_skeleton(canvas, landmarks, mirror, style, thick, scale)
    if points is not None and assessment.body is not None:
        _draw_rules(canvas, points, assessment, style, font, thick, radius, values)


def _draw_rules(
    canvas: np.ndarray,
    points: np.ndarray,
    assessment: Assessment,
    style: OverlayStyle,
    scale: float,
    thick: int,
    radius: int,
    values: bool,
) -> None:
    body = assessment.body
    assert body is not None
    drawn_values: set[str] = set()
    # Draw passes first so a failing rule's red wins where rules share a joint.
    ordered = sorted(assessment.results, key=lambda r: {None: 0, True: 1, False: 2}[r.passed])
    for result in ordered:
        color = _verdict_color(result.passed, style)
        roles = result.rule.roles()
        centers = [
            points[list(body.landmarks_for(role))].mean(axis=0).astype(int) for role in roles
        ]
        for start, end in itertools.pairwise(centers):
            cv2.line(canvas, tuple(start), tuple(end), color, thick * 2, cv2.LINE_AA)
        for center in centers:
            cv2.circle(canvas, tuple(center), radius, color, -1, cv2.LINE_AA)
        vertex = result.rule.spec.vertex(result.rule.params)
        if (
            values
            and result.rule.spec.draws_value
            and result.value is not None
            and vertex is not None
            and vertex not in drawn_values
        ):
            drawn_values.add(vertex)
            at = points[list(body.landmarks_for(vertex))].mean(axis=0).astype(int)
            _text(
                canvas,
                f"{result.value:.0f}",
                (int(at[0] + radius * 2), int(at[1] - radius)),
                scale,
                color,
                thick,
            )


def _draw_panel(
    canvas: np.ndarray,
    pose: PoseSpec,
    assessment: Assessment,
    timing: str | None,
    style: OverlayStyle,
    scale: float,
    thick: int,
) -> None:
    line_h = int(34 * scale) + 6
    lines: list[tuple[str, Color]] = [(pose.name, style.text)]
    side = assessment.side.value if assessment.side is not None else "-"
    counter = counter_text(pose, assessment)
    lines.append((f"{counter}   side: {side}" if pose.per_side else counter, style.text))
    if pose.per_side:
        totals = "  ".join(
            f"{name}: " + (f"{t.reps}" if pose.mode is Mode.REPS else f"{t.hold_s:.0f}s")
            for name, t in assessment.totals.items()
        )
        lines.append((totals, style.text))
    for result in assessment.results:
        mark = {None: "?", True: "ok", False: "x"}[result.passed]
        lines.append((f"{mark:>2} {result.rule.id}", _verdict_color(result.passed, style)))
    if assessment.muted:
        lines.append(("cues muted (m)", style.unknown))
    if timing is not None:
        lines.append((timing, style.unknown))
    width = int(max(cv2.getTextSize(t, FONT, scale, thick)[0][0] for t, _ in lines)) + 20
    _panel(canvas, (0, 0), (width, line_h * len(lines) + 10), style)
    for row, (text, color) in enumerate(lines):
        _text(canvas, text, (10, line_h * (row + 1)), scale, color, thick)


def _draw_prompt(
    canvas: np.ndarray, assessment: Assessment, style: OverlayStyle, scale: float, thick: int
) -> None:
    """The prompt across the bottom: large, on two lines when one would need tiny letters."""
    height, width = canvas.shape[:2]
    text = assessment.prompt or ""
    lines = [text]
    big = scale * 1.6
    if cv2.getTextSize(text, FONT, big * 0.7, thick + 1)[0][0] > width - 20 and " " in text:
        lines = _two_lines(text)
    sizes = [cv2.getTextSize(line, FONT, big, thick + 1)[0] for line in lines]
    while max(w for w, _ in sizes) > width - 20 and big > 0.3:
        big *= 0.9
        sizes = [cv2.getTextSize(line, FONT, big, thick + 1)[0] for line in lines]
    setup = assessment.status not in (Status.IN_POSITION, Status.NOT_IN_POSITION)
    color = style.setup_prompt if setup else style.failed
    text_h = max(h for _, h in sizes)
    line_h = int(text_h * 1.8)
    top = height - line_h * len(lines) - 14
    _panel(canvas, (0, top), (width, height), style)
    for row, (line, (text_w, _)) in enumerate(zip(lines, sizes, strict=True)):
        y = top + line_h * (row + 1)
        _text(canvas, line, ((width - text_w) // 2, y), big, color, thick + 1)


def _two_lines(text: str) -> list[str]:
    """Split at the colon if there is one, else at the space nearest the middle."""
    head, colon, tail = text.partition(": ")
    if colon:
        return [head + ":", tail]
    words = text.split(" ")
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(text) / 2))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def banner(image: np.ndarray, text: str, style: OverlayStyle | None = None) -> np.ndarray:
    """A copy of `image` with `text` across its middle (for "Paused" and similar states; a
    newline starts a second line; a line too long for the picture is split or shrunk)."""
    style = style or OverlayStyle()
    canvas = image.copy()
    height, width = canvas.shape[:2]
    scale = max(height * style.font_scale_per_px * 1.4, 0.4)
    thick = max(round(height * style.line_per_px), 1)
    # Letters no smaller than 70% (and readable), lines wrapped at words to fit.
    scale = (
        max(scale * 0.7, 0.35) if _widest(text.split("\n"), scale, thick) > width - 20 else scale
    )
    lines = [
        wrapped for line in text.split("\n") for wrapped in _wrapped(line, width - 20, scale, thick)
    ]
    while _widest(lines, scale, thick) > width - 20 and scale > 0.3:
        scale *= 0.9  # a single word wider than the picture
    text_h = cv2.getTextSize("Ag", FONT, scale, thick)[0][1]
    line_h = int(text_h * 1.8)
    top = height // 2 - line_h * len(lines) // 2
    _panel(canvas, (0, top - 8), (width, top + line_h * len(lines) + 8), style)
    for row, line in enumerate(lines):
        text_w = cv2.getTextSize(line, FONT, scale, thick)[0][0]
        y = top + line_h * row + text_h + (line_h - text_h) // 2
        _text(canvas, line, (max((width - text_w) // 2, 4), y), scale, style.setup_prompt, thick)
    return canvas


def _widest(lines: list[str], scale: float, thick: int) -> int:
    return max(int(cv2.getTextSize(line, FONT, scale, thick)[0][0]) for line in lines)


def _wrapped(line: str, width: int, scale: float, thick: int) -> list[str]:
    """`line` split at spaces into lines no wider than `width` (a longer word stays whole)."""
    lines: list[str] = []
    for word in line.split(" "):
        if lines and _widest([f"{lines[-1]} {word}"], scale, thick) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _draw_skeleton(
    canvas: np.ndarray,
    landmarks: Landmarks | None,
    mirror: bool,
    style: OverlayStyle,
    thick: int,
    scale: float = 1.0,
) -> np.ndarray | None:
    """Draw the bones on `canvas` (the frame `scale` times its size, flipped with it when
    mirrored); the joints' pixel positions as drawn, or None when nobody was found."""
    if landmarks is None:
        return None
    xy = landmarks.xy_px * scale
    if mirror:
        xy[:, 0] = canvas.shape[1] - 1 - xy[:, 0]
    points = np.round(xy).astype(int)
    for a, b in SKELETON:
        cv2.line(canvas, tuple(points[a]), tuple(points[b]), style.bone, thick, cv2.LINE_AA)
    return points


def skeleton_preview(
    image: np.ndarray,
    landmarks: Landmarks | None,
    text: str,
    *,
    mirror: bool = False,
    style: OverlayStyle | None = None,
) -> np.ndarray:
    """A copy of `image` with the skeleton of `landmarks` (when a person was found) and one
    line of `text` along the top: what `posecoach record` shows while it records."""
    style = style or OverlayStyle()
    canvas = cv2.flip(image, 1) if mirror else image.copy()
    height, width = canvas.shape[:2]
    scale = max(height * style.font_scale_per_px, 0.35)
    thick = max(round(height * style.line_per_px), 1)
    _draw_skeleton(canvas, landmarks, mirror, style, thick)
    line_h = int(34 * scale) + 6
    _panel(canvas, (0, 0), (width, line_h + 10), style)
    _text(canvas, text, (10, line_h), scale, style.text, thick)
    return canvas
