"""The coach's screen, laid out for the canvas it fills (a window, a full screen, or the
annotated video), to be read from a mat 2-3 m away.

    +-------------------------------+--------------+
    |                               | stretch name |
    |   the camera picture, scaled  | status       |
    |   to fit, with the skeleton   | 12 s         |  <- the biggest thing on screen
    |   and each rule's joints in   | of 30 s, left|
    |   its verdict's colour        | [=====    ]  |  <- progress toward the target
    |                               | v Torso up.. |  <- the checklist: shape and colour
    |                               | x Front knee |
    |  [!] the one cue, large       | target pic   |  <- while getting into position
    +-------------------------------+--------------+

Rule ids, measured values, frames per second and latency are for developers: they show only
with `developer` (a key and a flag turn it on).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posecoach.coaching.coach import Assessment, Status
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.model.landmarks import Landmarks
from posecoach.output.overlay import draw_body_into
from posecoach.output.text import Colour, Icon, draw_icon, draw_text, fit_height, text_size, wrap

# The panel's width, as a fraction of the canvas height.
PANEL_PER_HEIGHT = 0.62


@dataclass(frozen=True)
class ScreenStyle:
    background: Colour = (24, 24, 24)
    panel: Colour = (40, 36, 34)
    text: Colour = (255, 255, 255)
    dim: Colour = (185, 185, 185)
    passed: Colour = (80, 190, 40)  # also marked by a tick
    failed: Colour = (40, 40, 225)  # also marked by a cross
    unknown: Colour = (150, 150, 150)  # also marked by a question mark
    setup: Colour = (0, 165, 255)  # getting into position or set up
    bar: Colour = (70, 70, 70)
    # Heights of lines of text (ascent and descent), as fractions of the canvas height.
    name_h: float = 0.058
    status_h: float = 0.058
    # The hold timer or rep count, the biggest thing on screen: its digits are 0.73 of the
    # line, 13% of the canvas height.
    counter_h: float = 0.18
    unit_h: float = 0.08
    target_h: float = 0.056
    bar_h: float = 0.03
    row_h: float = 0.062  # a checklist line
    cue_h: float = 0.085
    developer_h: float = 0.032


@dataclass(frozen=True)
class ScreenView:
    """What the screen shows besides the coaching: the developer overlay, the reference
    picture of the stretch (None: none) and whether it shows in position too (a key)."""

    developer: bool = False
    picture: np.ndarray | None = None
    always_picture: bool = False


# The annotated video's height at most: a taller frame is scaled down to it, so a 1080p clip
# is not encoded at 2590x1080 with its panel (720p reads well and encodes in half the time).
VIDEO_MAX_HEIGHT = 720


def video_canvas_wh(frame_wh: tuple[int, int]) -> tuple[int, int]:
    """The canvas for an annotated video of frames `frame_wh`: the frame at its own size (not
    scaled; a frame taller than VIDEO_MAX_HEIGHT scaled down to it) and the panel beside it
    (widths and heights even, as video codecs want)."""
    width, height = frame_wh
    if height > VIDEO_MAX_HEIGHT:
        width, height = round(width * VIDEO_MAX_HEIGHT / height), VIDEO_MAX_HEIGHT
    panel = round(PANEL_PER_HEIGHT * height)
    return (width + panel + 1) // 2 * 2, height // 2 * 2 if height > 1 else height


def draw_screen(
    image: np.ndarray,
    landmarks: Landmarks | None,
    assessment: Assessment,
    pose: PoseSpec,
    canvas_wh: tuple[int, int],
    *,
    timing: str | None = None,
    mirror: bool = False,
    view: ScreenView | None = None,
    style: ScreenStyle | None = None,
) -> np.ndarray:
    """The whole screen (BGR, `canvas_wh`) for one assessed frame `image`: the picture with
    the body drawn, scaled to fit beside the panel, the panel, and the cue across the bottom
    of the picture."""
    view = view or ScreenView()
    style = style or ScreenStyle()
    width, height = canvas_wh
    panel_w = min(round(PANEL_PER_HEIGHT * height), width // 2)
    area_w = width - panel_w
    canvas = np.empty((height, width, 3), np.uint8)

    # The frame scaled into place first, the body drawn on it there: drawing at the size
    # shown costs the same whatever the camera's resolution.
    area = canvas[:, :area_w]
    placed, scale = fit_picture(area, image, top=True, fill=style.background)
    if mirror:
        placed[:] = cv2.flip(placed, 1)
    draw_body_into(placed, landmarks, assessment, scale=scale, mirror=mirror, values=view.developer)
    if assessment.prompt:
        _draw_cue(area, assessment, style)
    if view.developer:
        _draw_developer(area, assessment, timing, style)
    panel = canvas[:, area_w:]
    panel[:] = np.array(style.panel, np.uint8)
    _draw_panel(panel, pose, assessment, view, style, height)
    return canvas


def fit_picture(
    area: np.ndarray, picture: np.ndarray, top: bool = False, fill: Colour | None = None
) -> tuple[np.ndarray, float]:
    """`picture` scaled to fit `area` (keeping its shape), centred in it (with `top`, at its
    top: the space left below is where the cue goes, clear of the picture); the rest of
    `area` painted `fill` (None: left as it is). The part of `area` it went to, and its scale."""
    area_h, area_w = area.shape[:2]
    pic_h, pic_w = picture.shape[:2]
    scale = min(area_w / pic_w, area_h / pic_h)
    new_w, new_h = max(round(pic_w * scale), 1), max(round(pic_h * scale), 1)
    x0, y0 = (area_w - new_w) // 2, 0 if top else (area_h - new_h) // 2
    placed = area[y0 : y0 + new_h, x0 : x0 + new_w]
    if (new_w, new_h) == (pic_w, pic_h):
        placed[:] = picture
    else:  # bilinear: several times faster than pixel-area averaging, as sharp at this size
        cv2.resize(picture, (new_w, new_h), dst=placed, interpolation=cv2.INTER_LINEAR)
    if fill is not None:
        colour = np.array(fill, np.uint8)
        area[:y0] = colour
        area[y0 + new_h :] = colour
        area[y0 : y0 + new_h, :x0] = colour
        area[y0 : y0 + new_h, x0 + new_w :] = colour
    return placed, new_w / pic_w


def counter_words(pose: PoseSpec, assessment: Assessment) -> tuple[str, str, str]:
    """The count as the panel shows it: the number, its unit, and the target line ("of 30 s,
    left side")."""
    if pose.mode is Mode.REPS:
        number, unit = f"{assessment.reps}", "rep" if assessment.reps == 1 else "reps"
        target = f"of {pose.target:g}"
    else:
        number, unit = f"{int(assessment.hold_s)}", "s"
        target = f"of {pose.target:g} s"
    if pose.per_side and assessment.side is not None:
        target += f", {assessment.side.value} side"
    return number, unit, target


def status_words(assessment: Assessment, pose: PoseSpec) -> tuple[Icon, str, bool]:
    """The status line: its icon, its words and whether it is good news."""
    if assessment.status is Status.IN_POSITION:
        if assessment.holding is False:  # the timer starts once the person is settled
            return Icon.INFO, "Settling: hold still", False
        return Icon.PASS, "Holding" if pose.mode is Mode.HOLD else "In position", True
    if assessment.status is Status.NOT_IN_POSITION:
        return Icon.INFO, "Get into position", False
    if assessment.status is Status.NO_PERSON:
        return Icon.INFO, "Step into view", False
    return Icon.INFO, "Setting up", False


def _draw_panel(
    panel: np.ndarray,
    pose: PoseSpec,
    assessment: Assessment,
    view: ScreenView,
    style: ScreenStyle,
    height: int,
) -> None:
    panel_h, panel_w = panel.shape[:2]
    pad = max(round(0.025 * height), 4)
    inner = panel_w - 2 * pad
    y = pad

    name_h = fit_height(pose.name, style.name_h * height, inner)
    y += draw_text(panel, pose.name, (pad, y), name_h, style.dim)[1] + pad // 2

    icon, words, good = status_words(assessment, pose)
    status_h = style.status_h * height
    colour = style.passed if good else style.setup
    icon_px = round(status_h * 0.8)
    draw_icon(panel, icon, (pad + icon_px // 2, y + icon_px // 2), icon_px, colour)
    draw_text(
        panel,
        words,
        (pad + icon_px + pad // 2, y + (icon_px - round(status_h)) // 2),
        status_h,
        colour,
    )
    y += icon_px + pad // 2

    number, unit, target = counter_words(pose, assessment)
    counter_h = style.counter_h * height
    number_w, number_box = draw_text(panel, number, (pad, y), counter_h, style.text)
    unit_h = style.unit_h * height
    _, unit_box = text_size(unit, unit_h)
    draw_text(
        panel, unit, (pad + number_w + pad // 2, y + number_box - unit_box), unit_h, style.text
    )
    y += number_box + pad // 2
    target_h = fit_height(target, style.target_h * height, inner)
    y += draw_text(panel, target, (pad, y), target_h, style.dim)[1] + pad // 2

    bar_h = max(round(style.bar_h * height), 4)
    done = (
        assessment.reps / pose.target if pose.mode is Mode.REPS else assessment.hold_s / pose.target
    )
    done = min(max(done, 0.0), 1.0) if pose.target > 0 else 0.0
    cv2.rectangle(panel, (pad, y), (pad + inner, y + bar_h), style.bar, -1)
    if done > 0:
        cv2.rectangle(panel, (pad, y), (pad + round(inner * done), y + bar_h), style.passed, -1)
    y += bar_h + pad // 2
    if pose.per_side and assessment.totals:
        totals = "   ".join(
            f"{name.capitalize()} "
            + (f"{t.reps}" if pose.mode is Mode.REPS else f"{int(t.hold_s)} s")
            for name, t in assessment.totals.items()
        )
        totals_h = fit_height(totals, style.target_h * height, inner)
        y += draw_text(panel, totals, (pad, y), totals_h, style.dim)[1]
    y += pad

    picture = view.picture
    show_picture = picture is not None and (
        view.always_picture or assessment.status is not Status.IN_POSITION
    )
    bottom = panel_h - pad
    if assessment.muted:
        muted_h = style.developer_h * height * 1.3
        bottom -= text_size("Cues off (m)", muted_h)[1]
        draw_text(panel, "Cues off (m)", (pad, bottom), muted_h, style.dim)
        bottom -= pad // 2
    rows_end = bottom
    if show_picture:
        assert picture is not None
        rows_end = y + max((bottom - y) // 2, 0)
    _draw_checklist(panel, assessment, style, height, pad, inner, y, rows_end)
    if show_picture:
        assert picture is not None
        _draw_picture(panel, picture, style, height, pad, inner, rows_end, bottom)


def _draw_checklist(
    panel: np.ndarray,
    assessment: Assessment,
    style: ScreenStyle,
    height: int,
    pad: int,
    inner: int,
    top: int,
    bottom: int,
) -> None:
    results = assessment.results
    if not results or bottom <= top:
        return
    row_h = min(style.row_h * height, (bottom - top) / len(results))
    if row_h < 0.03 * height:  # too many to read: the failing ones first, as many as fit
        results = tuple(sorted(results, key=lambda r: {False: 0, None: 1, True: 2}[r.passed]))
        row_h = 0.03 * height
        results = results[: max(int((bottom - top) // row_h), 0)]
    icon_px = round(row_h * 0.6)
    text_h = row_h * 0.72
    for row, result in enumerate(results):
        y = round(top + row * row_h)
        colour, icon = {
            True: (style.passed, Icon.PASS),
            False: (style.failed, Icon.FAIL),
            None: (style.unknown, Icon.UNKNOWN),
        }[result.passed]
        draw_icon(panel, icon, (pad + icon_px // 2, y + round(row_h / 2)), icon_px, colour)
        label = result.rule.label
        left = pad + icon_px + pad // 2
        label_h = fit_height(label, text_h, inner - icon_px - pad // 2)
        _, box = text_size("Ag", label_h)
        text_colour = style.text if result.passed is not None else style.dim
        draw_text(panel, label, (left, y + round((row_h - box) / 2)), label_h, text_colour)


def _draw_picture(
    panel: np.ndarray,
    picture: np.ndarray,
    style: ScreenStyle,
    height: int,
    pad: int,
    inner: int,
    top: int,
    bottom: int,
) -> None:
    caption_h = style.developer_h * height * 1.3
    caption = "Target position"
    _, caption_box = text_size(caption, caption_h)
    if bottom - top - caption_box - pad < 0.08 * height:
        return  # no room to make it out
    draw_text(panel, caption, (pad, top), caption_h, style.dim)
    top += caption_box + pad // 3
    fit_picture(panel[top:bottom, pad : pad + inner], picture)


def _draw_cue(area: np.ndarray, assessment: Assessment, style: ScreenStyle) -> None:
    """The one cue across the bottom of the picture, large, with the shape of its kind: a
    warning for a form fault while in position, an arrow for what to do to get there."""
    area_h, area_w = area.shape[:2]
    text = assessment.prompt or ""
    fault = assessment.status is Status.IN_POSITION
    colour = style.failed if fault else style.setup
    icon = Icon.WARNING if fault else Icon.INFO
    pad = max(round(0.02 * area_h), 4)
    cue_h = style.cue_h * area_h
    icon_px = round(cue_h * 1.1)
    room = area_w - icon_px - 3 * pad
    lines = wrap(text, cue_h, room)
    if len(lines) > 2:
        cue_h = fit_height(max(lines, key=len), cue_h * 0.8, room)
        lines = wrap(text, cue_h, room)
    line_box = text_size("Ag", cue_h)[1]
    block = line_box * len(lines) + pad * (len(lines) + 1)
    block = max(block, icon_px + 2 * pad)
    top = area_h - block
    shade = area[top:]
    cv2.convertScaleAbs(shade, dst=shade, alpha=2 / 7)
    draw_icon(area, icon, (pad + icon_px // 2, top + block // 2), icon_px, colour)
    y = top + (block - line_box * len(lines) - pad * (len(lines) - 1)) // 2
    for line in lines:
        draw_text(area, line, (2 * pad + icon_px, y), cue_h, (255, 255, 255))
        y += line_box + pad


def _draw_developer(
    area: np.ndarray, assessment: Assessment, timing: str | None, style: ScreenStyle
) -> None:
    """Ids, values, status and speed in small type over the picture's top-left corner."""
    area_h = area.shape[0]
    text_h = style.developer_h * area_h
    lines = [f"{assessment.status.value}  frame {assessment.frame_index}"]
    if assessment.turn_deg is not None:
        lines[0] += f"  turn {assessment.turn_deg:.0f}"
    for result in assessment.results:
        mark = {None: "?", True: "ok", False: "x"}[result.passed]
        value = "" if result.value is None else f"  {result.value:.2f}"
        lines.append(f"{mark:>2} {result.rule.id}{value}")
    if timing:
        lines.append(timing)
    pad = max(round(text_h * 0.4), 2)
    line_box = text_size("Ag", text_h)[1] + pad
    width = max(text_size(line, text_h)[0] for line in lines) + 2 * pad
    block = area[: min(line_box * len(lines) + pad, area_h), : min(width, area.shape[1])]
    cv2.convertScaleAbs(block, dst=block, alpha=2 / 5)
    for row, line in enumerate(lines):
        draw_text(area, line, (pad, pad + row * line_box), text_h, style.dim)
