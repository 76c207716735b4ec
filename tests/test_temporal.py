"""Hold timers and rep counters as per-frame tables: (time, input) in, events and totals out.

Inputs per frame: True (in position), False (out of position or nobody), None (unknown: the
joints that decide it are not trusted); for reps, the signal value or None.
"""

import pytest

from posecoach.coaching.posefile import Counter
from posecoach.coaching.temporal import (
    Event,
    EventKind,
    HoldSettings,
    HoldTimer,
    RejectReason,
    RepCounter,
    RepPhase,
    RepSettings,
)

FRAME_MS = 1000 / 30
HOLD = HoldSettings(grace_s=0.5, arm_s=0.75, unknown_max_s=5.0)  # a longer arming than usual


def frames(*runs: tuple[object, float]) -> list:
    """A per-frame table from (state, seconds) runs at 30 fps."""
    table: list = []
    for state, seconds in runs:
        table += [state] * round(seconds * 30)
    return table


def run_hold(states: list, settings: HoldSettings = HOLD) -> tuple[HoldTimer, list[EventKind]]:
    timer = HoldTimer(settings)
    kinds = []
    for index, state in enumerate(states):
        kinds += [e.kind for e in timer.update(index * FRAME_MS, state)]
    return timer, kinds


def test_steady_hold_counts_elapsed_time():
    timer, kinds = run_hold(frames((True, 3.0)))
    assert timer.held_s == pytest.approx(89 * FRAME_MS / 1000)  # first to last frame
    assert kinds == [EventKind.HOLD_STARTED]


def test_hold_starts_only_after_the_arming_time_and_credits_it():
    timer = HoldTimer(HOLD)
    for index in range(22):  # 0.7 s in position: not yet armed
        assert timer.update(index * FRAME_MS, True) == []
    assert timer.held_s == 0.0 and not timer.holding
    events = timer.update(23 * FRAME_MS, True)  # 0.77 s: armed, the way in is credited
    assert [e.kind for e in events] == [EventKind.HOLD_STARTED]
    assert events[0].timestamp_ms == 0.0
    assert timer.held_s == pytest.approx(23 * FRAME_MS / 1000)


def test_passing_through_the_position_counts_nothing():
    # Getting into position: in position for 0.4 s at a time, never for the arming time.
    timer, kinds = run_hold(frames((False, 1), (True, 0.4), (False, 0.7), (True, 0.4), (False, 1)))
    assert timer.held_s == 0.0 and kinds == []


def test_short_dropout_is_bridged():
    # 1 s held, 0.3 s lost, 1 s held: one unbroken hold of the whole span.
    timer, kinds = run_hold(frames((True, 1), (False, 0.3), (True, 1)))
    assert kinds == [EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(68 * FRAME_MS / 1000)


def test_long_lapse_pauses_the_timer():
    # 1 s held, 2 s out of position, 1 s held again: the lapse is not counted.
    timer, kinds = run_hold(frames((True, 1), (False, 2), (True, 1)))
    assert kinds == [EventKind.HOLD_STARTED, EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(58 * FRAME_MS / 1000)


def test_unknown_frames_never_stop_a_hold():
    # 1 s held, 2 s with the deciding joints hidden, 1 s held: one hold, the gap credited.
    timer, kinds = run_hold(frames((True, 1), (None, 2), (True, 1)))
    assert kinds == [EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(119 * FRAME_MS / 1000)


def test_unknown_then_out_of_position_pauses_at_the_last_good_frame():
    timer, kinds = run_hold(frames((True, 1), (None, 2), (False, 1)))
    assert kinds == [EventKind.HOLD_STARTED, EventKind.HOLD_PAUSED]
    assert timer.held_s == pytest.approx(29 * FRAME_MS / 1000)


def test_unknown_for_too_long_pauses():
    timer, kinds = run_hold(frames((True, 1), (None, 6), (True, 1)))
    assert kinds == [EventKind.HOLD_STARTED, EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(58 * FRAME_MS / 1000)


def test_gap_in_timestamps_longer_than_grace_is_not_counted():
    timer = HoldTimer(HoldSettings(grace_s=0.5, arm_s=0.0))
    timer.update(0.0, True)
    timer.update(100.0, True)
    events = timer.update(3100.0, True)  # no frames for 3 s (a stalled camera)
    assert [e.kind for e in events] == [EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(0.1)


BRIDGE = Counter(signal="hips_high", start=150.0, peak=165.0, min_range=25.0)
REPS = RepSettings(arm_s=0.75, min_rep_s=0.8, partial_frac=0.5, max_gap_s=2.0)


def ramp(a: float, b: float, seconds: float) -> list[float]:
    n = max(round(seconds * 30), 1)
    return [a + (b - a) * (i + 1) / n for i in range(n)]


def rest(seconds: float = 1.0, value: float = 125.0) -> list[float]:
    return [value] * round(seconds * 30)


def rep(top: float = 175.0, up_s: float = 1.0, down_s: float = 1.0) -> list[float]:
    return ramp(125, top, up_s) + [top] * 15 + ramp(top, 125, down_s)


def rep_events(values: list, counter: Counter = BRIDGE) -> tuple[RepCounter, list[Event]]:
    reps = RepCounter(counter, REPS)
    events = []
    for index, value in enumerate(values):
        events += reps.update(index * FRAME_MS, value)
    return reps, events


def run_reps(values: list, counter: Counter = BRIDGE) -> tuple[RepCounter, list[EventKind]]:
    reps, events = rep_events(values, counter)
    return reps, [e.kind for e in events]


def test_one_full_rep():
    counter, kinds = run_reps(rest() + rep() + rest())
    assert counter.reps == 1 and counter.best == 175.0
    assert kinds == [EventKind.REP_PEAK, EventKind.REP_COUNTED]


def test_setup_is_not_a_rep():
    # Lying down from standing: the signal passes through the top and the bottom while the
    # person gets into position, resting for less than the arming time in between.
    setup = (
        [None] * 30 + ramp(178, 140, 0.5) + rest(0.3) + ramp(140, 172, 0.4) + ramp(172, 125, 0.5)
    )
    counter, _ = run_reps(setup + rest() + rep() + rest())
    assert counter.reps == 1


def test_jitter_around_a_threshold_counts_once():
    # Up to the top, then the signal jitters across the peak threshold and across the start
    # threshold on the way down: still one rep.
    jitter_top = [164, 166] * 10
    jitter_bottom = [149, 151] * 10
    values = rest() + ramp(125, 164, 1) + jitter_top + ramp(164, 151, 0.5) + jitter_bottom + rest()
    counter, _ = run_reps(values)
    assert counter.reps == 1


def test_partial_rep_is_not_counted_and_is_reported():
    counter, kinds = run_reps(rest() + rep(top=158) + rest() + rep() + rest())
    assert counter.reps == 1
    assert kinds == [EventKind.REP_PARTIAL, EventKind.REP_PEAK, EventKind.REP_COUNTED]


def test_jitter_at_the_start_threshold_is_not_a_partial_rep():
    # Resting just under the start threshold, the signal jitters across it.
    near = rest(value=148)
    counter, kinds = run_reps(near + [148, 152] * 15 + near)
    assert counter.reps == 0 and kinds == []


def test_too_fast_rep_is_not_counted():
    # Up and down through the whole range in 0.4 s: a glitch or a drop, not a rep.
    counter, events = rep_events(rest() + ramp(125, 175, 0.2) + ramp(175, 125, 0.2) + rest())
    assert counter.reps == 0
    assert [e.kind for e in events] == [EventKind.REP_PEAK, EventKind.REP_REJECTED]
    assert events[-1].reason is RejectReason.TOO_FAST


def test_rep_smaller_than_the_minimum_range_is_not_counted():
    # Resting high (the hips never lowered): over the thresholds, but 20 deg of range.
    high_rest = rest(value=148)
    counter, events = rep_events(high_rest + ramp(148, 168, 1) + [168] * 15 + ramp(168, 148, 1))
    assert counter.reps == 0 and events[-1].kind is EventKind.REP_REJECTED
    assert events[-1].reason is RejectReason.TOO_SMALL


def test_starting_at_the_top_counts_nothing_until_armed():
    counter, _ = run_reps([178] * 30 + ramp(178, 125, 1))
    assert counter.reps == 0 and counter.phase is RepPhase.UNARMED
    counter, _ = run_reps([178] * 30 + ramp(178, 125, 1) + rest() + rep() + rest())
    assert counter.reps == 1


def test_unknown_frames_keep_the_phase():
    values = rest() + ramp(125, 175, 1) + [None] * 15 + ramp(175, 125, 1) + rest()
    assert run_reps(values)[0].reps == 1


def test_walking_away_mid_rep_counts_nothing():
    # Up to the top, then gone for 3 s, back at rest: no rep, and the counter re-arms.
    values = rest() + ramp(125, 175, 1) + [None] * 90 + rest(0.5)
    counter, _ = run_reps(values)
    assert counter.reps == 0 and counter.phase is RepPhase.UNARMED


def test_falling_signal():
    squat = Counter(signal="knee", start=170.0, peak=100.0)
    down_up = ramp(175, 95, 1) + [95] * 10 + ramp(95, 175, 1)
    counter, _ = run_reps([175] * 30 + down_up + [175] * 30 + down_up, squat)
    assert counter.reps == 2


# --- A hold is a stay: stillness and the shortest stay ----------------------------------------

STILL, MOVING = 0.01, 0.4  # the body's motion per frame (torso lengths over the still window)
STAY = HoldSettings(grace_s=0.5, arm_s=0.4, unknown_max_s=5.0, stay_s=3.0)


def run_stay(table: list, settings: HoldSettings = STAY) -> tuple[HoldTimer, list[Event]]:
    """Feed (state, motion) per frame at 30 fps."""
    timer = HoldTimer(settings)
    events = []
    for index, (state, motion) in enumerate(table):
        events += timer.update(index * FRAME_MS, state, motion)
    return timer, events


def stay_frames(*runs: tuple[object, float, float]) -> list:
    """A per-frame (state, motion) table from (state, motion, seconds) runs."""
    return [(state, motion) for state, motion, seconds in runs for _ in range(round(seconds * 30))]


def test_a_pass_through_the_position_is_not_a_hold():
    # 0.7 s in position while moving through it (the bottom of a lunge), then out.
    table = stay_frames((False, MOVING, 1.0), (True, MOVING, 0.7), (False, MOVING, 1.0))
    timer, events = run_stay(table, HoldSettings(grace_s=0.5, arm_s=0.4))
    assert timer.held_s == 0
    assert not events


def test_a_three_second_stay_is_a_hold_credited_from_when_it_settled():
    # Moving in for 1 s, then still for 3 s: the hold starts when the stay has lasted 3 s
    # and credits all of it, from half a second (the still window) before the first still
    # frame, never before the first frame in position.
    table = stay_frames((True, MOVING, 1.0), (True, STILL, 3.0))
    timer, events = run_stay(table)
    assert [e.kind for e in events] == [EventKind.HOLD_STARTED]
    assert events[0].timestamp_ms == pytest.approx(1000 - 500, abs=FRAME_MS)
    # From 0.5 s to the last frame at 3.967 s.
    assert timer.held_s == pytest.approx(3.967 - 0.5, abs=0.04)


def test_a_stay_shorter_than_stay_s_is_not_held():
    # A static lunge's bottom held for 2.5 s, twice, with a walk out between.
    table = stay_frames(
        (True, STILL, 2.5), (False, MOVING, 1.5), (True, STILL, 2.5), (False, MOVING, 1.0)
    )
    timer, events = run_stay(table)
    assert timer.held_s == 0
    assert not events


def test_still_never_known_never_starts_a_hold():
    timer, _ = run_stay(stay_frames((True, None, 5.0)))
    assert timer.held_s == 0


def test_moving_while_holding_is_a_lapse_and_a_blip_is_bridged():
    settings = HoldSettings(grace_s=0.5, arm_s=0.4, moving_min=0.2)
    # A 0.3 s shift (a breath, an adjustment) is bridged; 2 s of moving pauses the hold
    # from its last still frame, and it resumes once still again.
    table = stay_frames(
        (True, STILL, 2.0),
        (True, MOVING, 0.3),
        (True, STILL, 2.0),
        (True, MOVING, 2.0),
        (True, STILL, 2.0),
    )
    timer, events = run_stay(table, settings)
    kinds = [e.kind for e in events]
    assert kinds == [EventKind.HOLD_STARTED, EventKind.HOLD_PAUSED, EventKind.HOLD_STARTED]
    # Held: 0-4.3 s, then the last 2 s (credited back to half a second before it settled,
    # which is inside the moving stretch: still frames only count from the settle window).
    assert timer.held_s == pytest.approx(4.3 + 2.0 + 0.5 - 2 * FRAME_MS / 1000, abs=0.1)


def test_small_movement_within_a_hold_keeps_it():
    # Between still (starts a hold) and moving (a lapse): a slow sink on the breath out.
    table = stay_frames((True, STILL, 1.0), (True, 0.1, 3.0))
    timer, events = run_stay(table, HoldSettings(grace_s=0.5, arm_s=0.4))
    assert [e.kind for e in events] == [EventKind.HOLD_STARTED]
    assert timer.held_s == pytest.approx(4.0 - FRAME_MS / 1000, abs=0.02)
