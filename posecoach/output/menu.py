"""A menu in the window, to start without knowing any id: the stretches (or routines) as
cards with their number, name, what they ask for and a picture, chosen with the arrow keys
and Enter, or by typing a card's number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posecoach.output.layout import ScreenStyle, fit_picture
from posecoach.output.sinks import Key, WindowSink
from posecoach.output.text import draw_text, fit_height, text_size, wrap

# Typed digits wait this long for another before the number is taken.
TYPING_S = 1.0


@dataclass(frozen=True)
class MenuItem:
    """One card: what it starts (`id`), its name, one line on what it asks for, and its
    picture (None: none)."""

    id: str
    name: str
    detail: str
    picture: np.ndarray | None = None


def grid(count: int, canvas_wh: tuple[int, int]) -> tuple[int, int]:
    """(columns, rows) of a menu of `count` cards on a canvas of `canvas_wh`."""
    width, height = canvas_wh
    columns = 4 if width >= 1.5 * height else 3
    columns = max(min(columns, count), 1)
    return columns, max(math.ceil(count / columns), 1)


def draw_menu(
    items: Sequence[MenuItem],
    chosen: int,
    canvas_wh: tuple[int, int],
    title: str,
    typed: str = "",
    style: ScreenStyle | None = None,
) -> np.ndarray:
    """The menu with card `chosen` (0-based) highlighted, and the digits `typed` so far."""
    style = style or ScreenStyle()
    width, height = canvas_wh
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = style.background
    pad = max(round(0.015 * height), 4)
    title_h = fit_height(title, 0.07 * height, width - 2 * pad)
    y = pad + draw_text(canvas, title, (2 * pad, pad), title_h, style.text)[1]
    hint = "Arrow keys and Enter, or type its number.  q: quit"
    if typed:
        hint = f"Number: {typed}"
    hint_h = fit_height(hint, 0.04 * height, width - 4 * pad)
    y += draw_text(canvas, hint, (2 * pad, y), hint_h, style.setup if typed else style.dim)[1]
    y += pad
    columns, rows = grid(len(items), canvas_wh)
    card_w = (width - pad * (columns + 1)) // columns
    card_h = (height - y - pad * (rows + 1)) // rows
    if card_w < 8 or card_h < 8:
        return canvas
    for index, item in enumerate(items):
        row, column = divmod(index, columns)
        x0 = pad + column * (card_w + pad)
        y0 = y + pad + row * (card_h + pad)
        card = canvas[y0 : y0 + card_h, x0 : x0 + card_w]
        _draw_card(card, index + 1, item, index == chosen, style, height)
    return canvas


def _draw_card(
    card: np.ndarray,
    number: int,
    item: MenuItem,
    chosen: bool,
    style: ScreenStyle,
    height: int,
) -> None:
    card_h, card_w = card.shape[:2]
    card[:] = style.panel
    border = max(round(0.006 * height), 2)
    if chosen:  # a thick frame and a filled number: seen without its colour
        card[:border] = card[-border:] = style.setup
        card[:, :border] = card[:, -border:] = style.setup
    pad = max(round(card_h * 0.05), 3)
    text_h = min(0.034 * height, card_h * 0.16)
    badge = f"{number}"
    badge_w, badge_h = text_size(badge, text_h)
    if chosen:
        card[pad : pad + badge_h, pad : pad + badge_w + 2 * pad] = style.setup
    draw_text(card, badge, (2 * pad, pad), text_h, style.text)
    left = badge_w + 4 * pad
    lines = wrap(item.name, text_h, card_w - left - pad)[:2]
    if len(lines) == 2 and text_size(lines[1], text_h)[0] > card_w - left - pad:
        lines[1] = lines[1][: max(len(lines[1]) - 2, 1)] + "…"
    y = pad
    for line in lines:
        y += draw_text(card, line, (left, y), text_h, style.text)[1]
    detail_h = text_h * 0.8
    detail_h = fit_height(item.detail, detail_h, card_w - 2 * pad)
    _, detail_box = text_size(item.detail, detail_h)
    draw_text(card, item.detail, (pad, card_h - pad - detail_box), detail_h, style.dim)
    top, bottom = y + pad, card_h - 2 * pad - detail_box
    if item.picture is not None and bottom - top > 0.04 * height:
        fit_picture(card[top:bottom, pad : card_w - pad], item.picture)


def choose(window: WindowSink, items: Sequence[MenuItem], title: str) -> int | None:
    """Show the menu in `window` until a card is chosen: its index, or None when the menu is
    closed (q, Esc or the window closed)."""
    if not items:
        return None
    chosen, typed, typed_at = 0, "", 0.0
    shown: tuple[object, ...] | None = None
    image: np.ndarray | None = None
    while True:
        size = window.size()
        state = (chosen, typed, size)
        if state != shown or image is None:
            image, shown = draw_menu(items, chosen, size, title, typed), state
        key = window.show(image, wait_ms=50)
        columns, _ = grid(len(items), size)
        if key is Key.QUIT:
            return None
        if key is Key.CHOOSE:
            return chosen
        if key is Key.FULL_SCREEN:
            window.toggle_full_screen()
        moves = {Key.LEFT: -1, Key.RIGHT: 1, Key.UP: -columns, Key.DOWN: columns}
        if key in moves:
            typed = ""
            chosen = min(max(chosen + moves[key], 0), len(items) - 1)
        elif key is Key.NUMBER and window.number is not None:
            typed, typed_at = typed + str(window.number), time.monotonic()
            number = int(typed)
            if not 1 <= number <= len(items):
                typed = ""  # no such card: start again
                continue
            chosen = number - 1
            if number * 10 > len(items):  # no other card's number starts with these digits
                return chosen
        elif typed and time.monotonic() - typed_at > TYPING_S:
            return chosen
