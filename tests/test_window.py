"""The real window on a virtual 1920x1080 screen, driven with key presses (XTest) and
checked from its screenshots: it covers the screen, the count is large, the menu lists every
stretch and routine, the keys do what they say."""

import importlib.util
import subprocess
import time

import numpy as np
import pytest

from posecoach.coaching.posefile import pose_paths
from posecoach.coaching.routine import routine_files

from conftest import REPO

pytestmark = pytest.mark.display

SPEC = importlib.util.spec_from_file_location("screenshots", REPO / "tools" / "screenshots.py")
assert SPEC is not None and SPEC.loader is not None
screenshots = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(screenshots)

CARD = np.array((34, 36, 40))  # the cards' colour (RGB)
PANEL_X = 1920 - round(0.62 * 1080)  # where the panel starts


@pytest.fixture
def screen():
    try:
        virtual = screenshots.VirtualScreen((1920, 1080))
    except RuntimeError as error:
        pytest.skip(str(error))
    try:
        yield virtual
    finally:
        virtual.close()


def covers_the_screen(shot: np.ndarray, empty: np.ndarray) -> bool:
    """Whether the window covers the whole screen: along every edge of the screen, nearly no
    pixel is left as the empty screen's."""
    root = empty[0, 0]
    edges = np.concatenate([shot[0], shot[-1], shot[:, 0], shot[:, -1]])
    return bool(np.mean(np.all(edges == root, axis=1)) < 0.02)


def regions(mask: np.ndarray, min_area: int) -> list[tuple[int, int]]:
    """(width, height) of the connected regions of `mask` of at least `min_area` pixels."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    return [
        (int(stats[i, cv2.CC_STAT_WIDTH]), int(stats[i, cv2.CC_STAT_HEIGHT]))
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= min_area
    ]


def ended(process: subprocess.Popen, timeout_s: float = 20.0) -> int | None:
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        screenshots.stop(process)
        return None


def test_the_menu_fills_the_screen_with_a_card_per_stretch_and_routine(screen, tmp_path):
    empty = screen.grab()
    video = str(REPO / "samples" / "half_kneeling_both_sides.mp4")
    menu = screenshots.posecoach(screen, ["live", "--camera-video", video], tmp_path)
    try:
        shot = screen.wait_for(empty, menu)
        time.sleep(1.0)  # the pictures drawn
        shot = screen.grab()
        assert covers_the_screen(shot, empty)
        cards = regions(np.all(shot == CARD, axis=2), min_area=1920 * 1080 // 200)
        assert len(cards) == len(pose_paths()) + len(routine_files())
        screen.press("Right", "Down", "Left")  # moves the frame; q leaves without choosing
        moved = screen.grab()
        assert not np.array_equal(moved, shot)
        screen.press("q")
        assert ended(menu) == 0
    finally:
        screenshots.stop(menu)


@pytest.mark.model
def test_the_coaching_window_fills_the_screen_with_a_large_count(screen, tmp_path):
    empty = screen.grab()
    video = str(REPO / "samples" / "half_kneeling_both_sides.mp4")
    args = ["live", "--pose", "half_kneeling_hip_flexor", "--camera-video", video]
    live = screenshots.posecoach(screen, [*args, "--no-history"], tmp_path)
    try:
        screen.wait_for(empty, live)
        time.sleep(8.0)  # kneeling and holding by now
        shot = screen.grab()
        assert covers_the_screen(shot, empty)
        panel = shot[:, PANEL_X:]
        white = np.all(panel >= 250, axis=2)
        tallest = max(height for _, height in regions(white, min_area=200))
        assert tallest >= 0.08 * 1080  # the count's digits
        # d: the developer overlay darkens the picture's top-left corner (the wall, in this
        # clip) to write the rule ids on it; d again takes it away.
        corner = (slice(10, 150), slice(10, 300))
        assert shot[corner].mean() > 150
        screen.press("d")
        time.sleep(1.0)
        assert screen.grab()[corner].mean() < 120
        screen.press("d")
        time.sleep(1.0)
        assert screen.grab()[corner].mean() > 150
        screen.press("q")
        assert ended(live) == 0
    finally:
        screenshots.stop(live)
