"""The coach's screen and the menu, drawn on small canvases and measured from the pixels:
what must be readable from the mat (the count, the cue, the checklist's shapes) and what is
for developers only."""

import dataclasses

import cv2
import numpy as np
import pytest

from posecoach.coaching.coach import Coach, Status
from posecoach.coaching.posefile import load_pose
from posecoach.output import menu as menu_module
from posecoach.output.layout import (
    ScreenView,
    counter_words,
    draw_screen,
    status_words,
    video_canvas_wh,
)
from posecoach.output.menu import MenuItem, choose, draw_menu, grid
from posecoach.output.sinks import Key
from posecoach.output.text import Icon, draw_icon, text_size

from builders import half_kneeling

KNEEL = "half_kneeling_hip_flexor"
CANVAS = (960, 540)


def assessed(torso_lean_deg: float = 0.0, frames: int = 120):
    pose = load_pose(KNEEL)
    coach = Coach(pose)
    landmarks = half_kneeling(torso_lean_deg=torso_lean_deg)
    assessment = None
    for index in range(frames):
        assessment = coach.update(landmarks, index * 40.0, index)
    assert assessment is not None
    return pose, landmarks, assessment


def screen(assessment, pose, landmarks, view=None, canvas=CANVAS):
    frame = np.full((720, 1280, 3), 90, np.uint8)
    return draw_screen(frame, landmarks, assessment, pose, canvas, view=view)


def tallest_change(a: np.ndarray, b: np.ndarray) -> int:
    """The height of the tallest connected region where two drawings differ."""
    changed = np.any(a != b, axis=2).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(changed)
    return max((int(stats[i, cv2.CC_STAT_HEIGHT]) for i in range(1, count)), default=0)


def test_the_count_is_the_biggest_thing_on_screen():
    pose, landmarks, assessment = assessed()
    three = screen(dataclasses.replace(assessment, hold_s=3.2), pose, landmarks)
    eighteen = screen(dataclasses.replace(assessment, hold_s=18.9), pose, landmarks)
    height = CANVAS[1]
    # The digits that changed are at least 8% of the screen's height (here 13%).
    assert tallest_change(three, eighteen) >= 0.08 * height
    assert counter_words(pose, dataclasses.replace(assessment, hold_s=18.9))[:2] == ("18", "s")


def test_progress_bar_fills_toward_the_target():
    pose, landmarks, assessment = assessed()
    green = np.array((80, 190, 40))

    def filled(hold_s: float) -> int:
        drawn = screen(dataclasses.replace(assessment, hold_s=hold_s), pose, landmarks)
        panel = drawn[:, CANVAS[0] - round(0.62 * CANVAS[1]) :]
        return int(np.all(np.abs(panel.astype(int) - green) <= 12, axis=2).sum())

    assert filled(0.0) < filled(10.0) < filled(20.0) < filled(30.0) == filled(45.0)


def test_a_fault_and_a_pass_differ_in_shape_not_only_in_colour():
    def grey_icon(icon: Icon, colour) -> np.ndarray:
        canvas = np.zeros((40, 40, 3), np.uint8)
        draw_icon(canvas, icon, (20, 20), 32, colour)
        return cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY) > 200  # the white marks

    # The same grey for both: only the marks tell them apart.
    tick, cross = grey_icon(Icon.PASS, (90, 90, 90)), grey_icon(Icon.FAIL, (90, 90, 90))
    overlap = (tick & cross).sum() / max((tick | cross).sum(), 1)
    assert tick.sum() > 20 and cross.sum() > 20 and overlap < 0.5


def test_the_cue_is_large_and_at_the_bottom_of_the_picture():
    pose, landmarks, assessment = assessed(torso_lean_deg=30)
    assert assessment.status is Status.IN_POSITION and assessment.prompt
    with_cue = screen(assessment, pose, landmarks)
    without = screen(dataclasses.replace(assessment, prompt=None), pose, landmarks)
    changed = np.argwhere(np.any(with_cue != without, axis=2))
    assert changed[:, 0].min() > CANVAS[1] / 2  # in the lower half
    assert changed[:, 1].max() < CANVAS[0] - round(0.62 * CANVAS[1])  # under the picture
    assert text_size("Ag", 0.085 * CANVAS[1])[1] >= 0.08 * CANVAS[1]


def test_ids_values_and_speed_are_only_in_the_developer_overlay():
    pose, landmarks, assessment = assessed(torso_lean_deg=30)
    plain = screen(assessment, pose, landmarks)
    developer = screen(assessment, pose, landmarks, ScreenView(developer=True))
    changed = np.argwhere(np.any(plain != developer, axis=2))
    # Only over the picture's top-left corner (the body's joints drawn with their angles).
    picture_w = CANVAS[0] - round(0.62 * CANVAS[1])
    assert len(changed) and changed[:, 1].max() < picture_w


def test_the_target_picture_shows_while_getting_into_position_and_on_the_key():
    pose, landmarks, assessment = assessed()
    picture = np.full((90, 120, 3), (255, 0, 255), np.uint8)  # magenta: easy to find
    magenta = np.array((255, 0, 255))

    def shows(assessment, always: bool) -> bool:
        drawn = screen(
            assessment, pose, landmarks, ScreenView(picture=picture, always_picture=always)
        )
        return bool(np.all(drawn == magenta, axis=2).sum() > 100)

    getting_there = dataclasses.replace(assessment, status=Status.NOT_IN_POSITION)
    assert assessment.status is Status.IN_POSITION
    assert shows(getting_there, always=False)
    assert not shows(assessment, always=False)
    assert shows(assessment, always=True)


def test_the_video_canvas_keeps_the_frame_at_its_size_with_the_panel_beside():
    assert video_canvas_wh((640, 480)) == (938, 480)
    pose, _landmarks, assessment = assessed()
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    drawn = draw_screen(frame, None, assessment, pose, video_canvas_wh((640, 480)))
    # Nobody drawn on it: the frame is there pixel for pixel, unscaled, at the top left.
    assert np.array_equal(drawn[:300, :640], frame[:300])


def test_a_checklist_line_per_rule_with_its_label():
    pose, landmarks, assessment = assessed(torso_lean_deg=30)
    labels = [result.rule.label for result in assessment.results]
    assert len(labels) == len(pose.rules) and all(labels)
    drawn = screen(assessment, pose, landmarks)
    red = np.array((40, 40, 225))
    failing = sum(result.passed is False for result in assessment.results)
    panel = drawn[:, CANVAS[0] - round(0.62 * CANVAS[1]) :]
    reds = np.all(np.abs(panel.astype(int) - red) <= 10, axis=2).astype(np.uint8)
    squares = cv2.connectedComponentsWithStats(reds)[0] - 1
    assert failing >= 1 and squares >= failing


# -- the menu ----------------------------------------------------------------------------


ITEMS = [MenuItem(f"pose:{n}", f"Stretch {n}", "30 s hold") for n in range(1, 17)]


def test_menu_cards_in_a_grid_with_the_chosen_one_framed():
    assert grid(16, (1920, 1080)) == (4, 4) and grid(5, (800, 800)) == (3, 2)
    first = draw_menu(ITEMS, 0, CANVAS, "Choose")
    sixth = draw_menu(ITEMS, 5, CANVAS, "Choose")
    orange = np.array((0, 165, 255))
    framed = np.all(first == orange, axis=2) & ~np.all(sixth == orange, axis=2)
    ys, xs = np.nonzero(framed)
    assert xs.max() < CANVAS[0] / 4 and ys.min() > CANVAS[1] * 0.1  # the first card's frame


class KeyWindow:
    """A window that is pressed the keys it is given, one per `show`."""

    def __init__(self, keys: list[Key | int]) -> None:
        self.keys = list(keys)
        self.number: int | None = None
        self.shown = 0

    def size(self) -> tuple[int, int]:
        return CANVAS

    def toggle_full_screen(self) -> None:
        pass

    def show(self, image: np.ndarray, wait_ms: int = 1) -> Key:
        self.shown += 1
        if not self.keys:
            return Key.NONE
        key = self.keys.pop(0)
        if isinstance(key, int):
            self.number = key
            return Key.NUMBER
        return key


@pytest.mark.parametrize(
    ("keys", "chosen"),
    [
        ([Key.CHOOSE], 0),
        ([Key.RIGHT, Key.RIGHT, Key.DOWN, Key.CHOOSE], 6),
        ([Key.LEFT, Key.UP, Key.CHOOSE], 0),
        ([Key.DOWN] * 9 + [Key.RIGHT] * 9 + [Key.CHOOSE], 15),
        ([1, 2], 11),  # typed 12: no card's number starts with 12 and more
        ([2], 1),  # 2: no 20-29, taken at once
        ([Key.QUIT], None),
        ([0, 3], 2),  # 0 is no card: typing starts again
    ],
)
def test_menu_keys(keys, chosen):
    assert choose(KeyWindow(keys), ITEMS, "Choose") == chosen


def test_a_typed_1_waits_for_a_second_digit(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(menu_module.time, "monotonic", lambda: now[0])
    window = KeyWindow([1])
    original = window.show

    def show(image, wait_ms=1):
        now[0] += 0.3
        return original(image, wait_ms)

    window.show = show  # type: ignore[method-assign]
    assert choose(window, ITEMS, "Choose") == 0  # card 1, once no second digit came
    assert window.shown >= 4  # it waited about a second


def test_the_status_says_settling_until_the_hold_timer_runs():
    pose, _, assessment = assessed(frames=3)  # in position, not settled yet
    assert assessment.status is Status.IN_POSITION and assessment.holding is False
    assert status_words(assessment, pose)[:2] == (Icon.INFO, "Settling: hold still")
    holding = dataclasses.replace(assessment, holding=True)
    assert status_words(holding, pose)[:2] == (Icon.PASS, "Holding")
