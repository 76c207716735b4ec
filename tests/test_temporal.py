"""Hold timers and rep counters as per-frame tables: (time, input) in, events and totals out."""

import pytest

from posecoach.posefile import Counter
from posecoach.temporal import EventKind, HoldTimer, Phase, RepCounter

FRAME_MS = 1000 / 30


def run_hold(states: list[bool], grace_s: float = 0.5) -> tuple[HoldTimer, list[EventKind]]:
    timer = HoldTimer(grace_s)
    kinds = []
    for index, in_position in enumerate(states):
        kinds += [e.kind for e in timer.update(index * FRAME_MS, in_position)]
    return timer, kinds


def test_steady_hold_counts_elapsed_time():
    timer, kinds = run_hold([True] * 91)  # 3 s at 30 fps
    assert timer.held_s == pytest.approx(3.0)
    assert kinds == [EventKind.HOLD_STARTED]


def test_short_dropout_is_bridged():
    # 1 s held, 0.3 s (9 frames) lost, 1 s held: one unbroken hold of the whole span.
    timer, kinds = run_hold([True] * 30 + [False] * 9 + [True] * 31)
    assert kinds == [EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(69 * FRAME_MS / 1000)


def test_long_lapse_pauses_the_timer():
    # 1 s held, 2 s out of position, 1 s held again.
    timer, kinds = run_hold([True] * 30 + [False] * 60 + [True] * 30)
    assert kinds == [EventKind.HOLD_STARTED, EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(58 * FRAME_MS / 1000)
    assert not timer.holding or timer.held_s < 2.1


def test_gap_in_timestamps_longer_than_grace_is_not_counted():
    timer = HoldTimer(0.5)
    timer.update(0.0, True)
    timer.update(100.0, True)
    events = timer.update(3100.0, True)  # no frames for 3 s (a stalled camera)
    assert [e.kind for e in events] == [EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(0.1)


BRIDGE = Counter(signal="hips_high", start=150.0, peak=165.0)


def run_reps(values: list[float | None], counter: Counter = BRIDGE) -> RepCounter:
    reps = RepCounter(counter)
    for index, value in enumerate(values):
        reps.update(index * FRAME_MS, value)
    return reps


def test_one_full_rep():
    assert run_reps([135, 140, 155, 170, 178, 170, 155, 140, 135]).reps == 1


def test_jitter_around_a_threshold_counts_once():
    # Up to the top, then the signal jitters across the peak threshold and across the start
    # threshold on the way down: still one rep.
    values = [135, 150, 164, 166, 164, 166, 164, 170, 160, 151, 149, 151, 149, 151, 140]
    reps = run_reps(values)
    assert reps.reps == 1


def test_partial_lift_is_not_a_rep():
    assert run_reps([135, 145, 158, 162, 158, 145, 135]).reps == 0


def test_starting_at_the_top_counts_nothing_until_armed():
    reps = run_reps([178, 176, 175, 160, 140])
    assert reps.reps == 0 and reps.phase is Phase.REST
    reps = run_reps([178, 176, 175, 160, 140, 170, 140])
    assert reps.reps == 1


def test_unknown_frames_keep_the_phase():
    assert run_reps([135, 170, None, None, 172, None, 140]).reps == 1


def test_falling_signal():
    squat = Counter(signal="knee", start=170.0, peak=100.0)
    assert run_reps([175, 150, 95, 90, 120, 172, 175, 95, 171], squat).reps == 2
