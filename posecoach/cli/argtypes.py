"""The argparse types of the command line's numbers: whole numbers, finite numbers and a WxH
frame size, each refusing a bad value with 'expected ..., got ...'."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of `minimum` or more."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of {minimum} or more, got {text!r}"
            )
        return value

    return parse


def finite(zero_allowed: bool) -> Callable[[str], float]:
    """An argparse type: a finite number above 0 (or of 0 or more)."""
    wanted = "a number of 0 or more" if zero_allowed else "a number above 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (value > 0 or (zero_allowed and value == 0))):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


whole = whole_at_least(1)
natural = whole_at_least(0)
positive = finite(zero_allowed=False)
non_negative = finite(zero_allowed=True)


def size(text: str) -> tuple[int, int]:
    """An argparse type: a frame size 'WxH', each side from 64 to 4096 pixels."""
    width, _, height = text.lower().partition("x")
    try:
        size_wh = (int(width), int(height))
    except ValueError:
        size_wh = (0, 0)
    if min(size_wh) < 64 or max(size_wh) > 4096:
        raise argparse.ArgumentTypeError(f"expected WxH between 64 and 4096, got {text!r}")
    return size_wh
