"""Text and icons for the coach's screen, drawn with a real font (DejaVu Sans Bold, which
matplotlib ships, so "90°" and accented names draw as written) and kept once drawn: most of
the screen's texts are the same from frame to frame.

`draw_text(image, text, (x, y), height_px, colour)` blends outlined text in with its top-left
corner at (x, y); `text_size` measures it first. `draw_icon` draws the shapes that carry a
verdict besides its colour (a tick, a cross, a question mark in a ring), so a fault is seen
without telling red from green.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]  # BGR


@functools.cache
def _font_file() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=64)
def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_file()
    if path is not None:
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def _size_px(height_px: float) -> int:
    """The font size whose lines (ascent and descent) are about `height_px` tall."""
    return max(round(height_px / 1.17), 6)


def text_size(text: str, height_px: float) -> tuple[int, int]:
    """(width, height) in pixels of `text` drawn `height_px` tall (a line's height, from the
    top of the tallest letters to the bottom of the descenders, with the outline)."""
    sprite, _ = _sprite(text, _size_px(height_px), (255, 255, 255))
    return sprite.shape[1], sprite.shape[0]


def fit_height(text: str, height_px: float, width_px: float) -> float:
    """`height_px`, or less so that `text` fits in `width_px`."""
    width, _ = text_size(text, height_px)
    if width <= width_px or width == 0:
        return height_px
    return max(height_px * width_px / width, 4.0)


def draw_text(
    image: np.ndarray, text: str, top_left: tuple[int, int], height_px: float, colour: Colour
) -> tuple[int, int]:
    """Blend `text` (outlined in black) into `image` with its box's top-left corner at
    `top_left`; its (width, height)."""
    sprite, alpha = _sprite(text, _size_px(height_px), colour)
    _blend(image, sprite, alpha, top_left)
    return sprite.shape[1], sprite.shape[0]


@functools.lru_cache(maxsize=2048)
def _sprite(text: str, size_px: int, colour: Colour) -> tuple[np.ndarray, np.ndarray]:
    """`text` drawn in `colour` with a black outline: BGR pixels and their coverage (0-255,
    one channel per colour channel)."""
    font = _font(size_px)
    stroke = min(max(size_px // 16, 1), 4)
    # The ink's width, and the font's full height (ascent and descent): every text of one
    # size is as tall, and drawn at the same top, shares its baseline.
    left, _, right, _ = font.getbbox(text or " ", stroke_width=stroke)
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
    else:  # a bitmap font: its letters' box
        _, _, _, bottom = font.getbbox("Ag")
        ascent, descent = int(bottom), 0
    width, height = max(int(right - left), 1), ascent + descent + 2 * stroke
    picture = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(picture).text(
        (-left, stroke),
        text,
        font=font,
        anchor="la",
        fill=(colour[2], colour[1], colour[0], 255),
        stroke_width=stroke,
        stroke_fill=(0, 0, 0, 255),
    )
    rgba = np.asarray(picture)
    sprite = np.ascontiguousarray(rgba[:, :, 2::-1])
    alpha = np.repeat(rgba[:, :, 3:4], 3, axis=2)
    return sprite, alpha


def _blend(image: np.ndarray, sprite: np.ndarray, alpha: np.ndarray, at: tuple[int, int]) -> None:
    x0, y0 = at
    sx0, sy0 = max(-x0, 0), max(-y0, 0)
    sx1 = min(sprite.shape[1], image.shape[1] - x0)
    sy1 = min(sprite.shape[0], image.shape[0] - y0)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    region = image[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
    weight = alpha[sy0:sy1, sx0:sx1].astype(np.uint16)
    blended = region * (255 - weight) + sprite[sy0:sy1, sx0:sx1] * weight
    region[:] = (blended + 127) // 255


class Icon(enum.Enum):
    """A verdict's shape: the colour is a second channel, never the only one."""

    PASS = "pass"  # a tick in a filled disc
    FAIL = "fail"  # a cross in a filled square
    UNKNOWN = "unknown"  # a question mark in a ring
    WARNING = "warning"  # an exclamation mark in a triangle
    INFO = "info"  # an arrow in a disc: something to do before the stretch starts


def draw_icon(
    image: np.ndarray, icon: Icon, centre: tuple[int, int], size_px: int, colour: Colour
) -> None:
    """`icon`, `size_px` across, centred on `centre`, in `colour` with white marks."""
    cx, cy = centre
    r = max(size_px // 2, 3)
    line = max(size_px // 8, 2)
    white = (255, 255, 255)
    if icon is Icon.PASS:
        cv2.circle(image, centre, r, colour, -1, cv2.LINE_AA)
        tick = np.array([[-0.5, 0.0], [-0.15, 0.35], [0.5, -0.35]]) * r + centre
        cv2.polylines(image, [tick.astype(np.int32)], False, white, line, cv2.LINE_AA)
    elif icon is Icon.FAIL:
        cv2.rectangle(image, (cx - r, cy - r), (cx + r, cy + r), colour, -1, cv2.LINE_AA)
        d = round(r * 0.5)
        cv2.line(image, (cx - d, cy - d), (cx + d, cy + d), white, line, cv2.LINE_AA)
        cv2.line(image, (cx - d, cy + d), (cx + d, cy - d), white, line, cv2.LINE_AA)
    elif icon is Icon.UNKNOWN:
        cv2.circle(image, centre, r - line // 2, colour, line, cv2.LINE_AA)
        draw_centred(image, "?", centre, r * 0.9, colour)
    elif icon is Icon.WARNING:
        triangle = np.array([[0.0, -1.0], [1.0, 0.8], [-1.0, 0.8]]) * r + centre
        cv2.fillPoly(image, [triangle.astype(np.int32)], colour, cv2.LINE_AA)
        bar = round(line * 1.2)
        cv2.line(image, (cx, cy - round(r * 0.4)), (cx, cy + round(r * 0.2)), white, bar)
        cv2.circle(image, (cx, cy + round(r * 0.5)), max(bar // 2 + 1, 2), white, -1, cv2.LINE_AA)
    else:
        cv2.circle(image, centre, r, colour, -1, cv2.LINE_AA)
        arrow = np.array([[-0.45, 0.0], [0.4, 0.0]]) * r + centre
        cv2.arrowedLine(
            image,
            tuple(arrow[0].astype(int)),
            tuple(arrow[1].astype(int)),
            (0, 0, 0),
            line,
            cv2.LINE_AA,
            tipLength=0.5,
        )


def draw_centred(
    image: np.ndarray, text: str, centre: tuple[int, int], height_px: float, colour: Colour
) -> None:
    """`text` centred on `centre`."""
    width, height = text_size(text, height_px)
    draw_text(image, text, (centre[0] - width // 2, centre[1] - height // 2), height_px, colour)


def wrap(text: str, height_px: float, width_px: float) -> list[str]:
    """`text` in lines no wider than `width_px` (broken at spaces; a long word stays whole)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_size(f"{lines[-1]} {word}", height_px)[0] <= width_px:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]
