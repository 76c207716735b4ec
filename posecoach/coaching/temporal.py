"""Hold timers and rep counters: timestamps and per-frame states in, events out.

Nothing here reads a clock. A replay at 300 fps gives the same result as live use at 30 fps.

Both take three states per frame: in position (or a signal value), out of position (False),
and unknown (None: the joints the decision needs could not be trusted in this frame).
Unknown never counts a rep or stops a hold by itself.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

import numpy as np

from posecoach.coaching.posefile import Counter
from posecoach.config.defaults import DEFAULTS


class EventKind(enum.Enum):
    HOLD_STARTED = "hold_started"
    HOLD_PAUSED = "hold_paused"
    TARGET_REACHED = "target_reached"
    REP_PEAK = "rep_peak"
    REP_COUNTED = "rep_counted"
    REP_PARTIAL = "rep_partial"  # went part of the way up and came back: not a rep
    REP_REJECTED = "rep_rejected"  # reached the peak, but too fast or too small to count


class RejectReason(enum.Enum):
    """Why a rep that reached the peak was not counted."""

    TOO_FAST = "too_fast"  # quicker than min_rep_s
    TOO_SMALL = "too_small"  # rose less than the counter's min_range from rest


@dataclass(frozen=True)
class Event:
    kind: EventKind
    timestamp_ms: float
    detail: str = ""  # for people: what happened, with the numbers
    reason: RejectReason | None = None  # for REP_REJECTED


@dataclass(frozen=True)
class HoldSettings:
    """How a hold timer treats gaps (all in seconds)."""

    grace_s: float = DEFAULTS.hold_grace_s  # out of position (or no frames) this long is bridged
    arm_s: float = DEFAULTS.arm_s  # in position this long before a hold starts
    unknown_max_s: float = DEFAULTS.unknown_max_s  # unknown frames bridge a hold this long at most
    # Stillness (see posecoach.coaching.stillness): a hold starts only once the body's motion is at
    # most `still_max`, and the last `still_window_s` of the stay is then credited back; while
    # holding, motion over `moving_min` is a lapse, like leaving the position.
    still_max: float = DEFAULTS.still_max_torso
    moving_min: float = DEFAULTS.moving_min_torso
    still_window_s: float = DEFAULTS.still_window_s
    # A stay (in position and still) shorter than this is not held time: once it lasts this
    # long, all of it is credited.
    stay_s: float = 0.0


class HoldTimer:
    """Accumulates time in position, once the person has settled there.

    A hold is a stay, not a pass: it starts once the person has been in position for `arm_s`
    and is still (their motion at most `still_max`), so passing through the position on the
    way in, out or through does not count; the settling time is then credited, at most the
    last `still_window_s` the stillness was measured over. A stretch held for long (a pose
    file's `stay_s`) starts only once the stay has lasted `stay_s`, then credits all of it, so
    the bottom of a lunge held for a breath is not a held stretch. A lapse (out of position, moving,
    or no frames) shorter than `grace_s` is bridged: the hold goes on and the lapse counts as
    held. A longer lapse pauses the timer from its last good frame. Unknown frames neither
    count nor stop the hold: when the person is next seen in position the time is credited,
    unless the unknown stretch lasted over `unknown_max_s` or ended out of position.
    """

    def __init__(self, settings: HoldSettings | None = None) -> None:
        self.settings = settings or HoldSettings()
        self.held_ms = 0.0
        self.holding = False
        self._arming_since_ms: float | None = None
        self._still_since_ms: float | None = None  # the current run of still frames began
        self._last_good_ms = 0.0
        self._last_frame_ms: float | None = None
        self._lapsed = False  # an out-of-position frame (or a frame gap) since the last good one

    @property
    def held_s(self) -> float:
        return self.held_ms / 1000

    @property
    def arming(self) -> bool:
        return self._arming_since_ms is not None

    def update(
        self, timestamp_ms: float, state: bool | None, motion: float | None = 0.0
    ) -> list[Event]:
        """One frame: in position (True), out (False) or unknown (None), and how much the
        body moves (None: not known yet, which does not start a hold nor stop one)."""
        s = self.settings
        grace_ms, unknown_max_ms = s.grace_s * 1000, s.unknown_max_s * 1000
        events: list[Event] = []
        if state is True and self.holding and motion is not None and motion > s.moving_min:
            state = False  # moving through the position: a lapse, not held time
        if self._last_frame_ms is not None and timestamp_ms - self._last_frame_ms > grace_ms:
            self._lapsed = True  # frames stopped arriving (a stalled camera)
        self._last_frame_ms = timestamp_ms
        gap_ms = timestamp_ms - self._last_good_ms
        if state is True:
            if self.holding:
                if gap_ms <= grace_ms or (not self._lapsed and gap_ms <= unknown_max_ms):
                    self.held_ms += gap_ms
                else:
                    events.append(Event(EventKind.HOLD_PAUSED, self._last_good_ms))
                    self.holding = False
            elif self._arming_since_ms is not None and gap_ms > grace_ms:
                # The way in was interrupted: start again.
                self._arming_since_ms = self._still_since_ms = None
            if not self.holding:
                if self._arming_since_ms is None:
                    self._arming_since_ms = timestamp_ms
                if motion is None or motion > s.still_max:
                    self._still_since_ms = None
                elif self._still_since_ms is None:
                    self._still_since_ms = timestamp_ms
                still_since_ms = self._still_since_ms
                # Settled since the window before the first still frame.
                started_ms = (
                    None
                    if still_since_ms is None
                    else max(self._arming_since_ms, still_since_ms - s.still_window_s * 1000)
                )
                if (
                    started_ms is not None
                    and timestamp_ms - self._arming_since_ms >= s.arm_s * 1000
                    and timestamp_ms - started_ms >= s.stay_s * 1000
                ):
                    self.holding = True
                    self.held_ms += timestamp_ms - started_ms
                    events.append(Event(EventKind.HOLD_STARTED, started_ms))
                    self._arming_since_ms = self._still_since_ms = None
            self._last_good_ms = timestamp_ms
            self._lapsed = False
            return events
        if state is False:
            self._lapsed = True
        too_long = gap_ms > (grace_ms if self._lapsed else unknown_max_ms)
        if too_long and self.holding:
            self.holding = False
            events.append(Event(EventKind.HOLD_PAUSED, self._last_good_ms))
        if too_long:
            self._arming_since_ms = self._still_since_ms = None
        return events


class RepPhase(enum.Enum):
    """Where a rep counter is: not yet armed at rest, at rest, moving, or at the peak."""

    UNARMED = "unarmed"
    REST = "rest"
    MOVING = "moving"
    PEAK = "peak"


@dataclass(frozen=True)
class RepSettings:
    """How a rep counter decides (seconds, and a fraction of the way to the peak)."""

    arm_s: float = DEFAULTS.arm_s  # at rest this long before reps are counted
    min_rep_s: float = DEFAULTS.min_rep_s  # leaving rest to coming back takes this long at least
    partial_frac: float = DEFAULTS.partial_rep_frac  # a return this far toward the peak: partial
    max_gap_s: float = DEFAULTS.rep_max_gap_s  # no signal this long (person lost): disarm


class RepCounter:
    """Counts start -> peak -> start cycles of one signal, with hysteresis.

    The counter arms only once the signal has stayed at rest for `arm_s`, so getting into
    position, or starting at the peak, counts nothing. A rep counts when the signal comes back
    to rest after reaching the peak, if the rep lasted `min_rep_s` and moved at least the
    counter's `min_range` from the resting level; jitter around either threshold changes
    nothing, because leaving the peak does not count until the start is reached again, and
    vice versa. A return to rest from at least `partial_frac` of the way to the peak, without
    reaching it, is a partial rep: not counted, and reported so it can be cued.
    """

    def __init__(self, counter: Counter, settings: RepSettings | None = None) -> None:
        self.counter = counter
        self.settings = settings or RepSettings()
        self.phase = RepPhase.UNARMED
        self.reps = 0
        self.best: float | None = None  # the furthest value of any counted rep
        self._rest_since_ms: float | None = None
        self._rest_values: deque[float] = deque(maxlen=30)
        self._left_rest_ms = 0.0
        self._extreme: float | None = None
        self._last_value_ms: float | None = None

    def _at_rest(self, value: float) -> bool:
        c = self.counter
        return value <= c.start if c.rising else value >= c.start

    def _at_peak(self, value: float) -> bool:
        c = self.counter
        return value >= c.peak if c.rising else value <= c.peak

    def _further(self, value: float, than: float) -> bool:
        return value > than if self.counter.rising else value < than

    @property
    def baseline(self) -> float:
        """The resting level: the median of the recent values at rest (else the start)."""
        if not self._rest_values:
            return self.counter.start
        return float(np.median(self._rest_values))

    def update(self, timestamp_ms: float, value: float | None) -> list[Event]:
        """Feed one frame's signal; None (not judged this frame) keeps the phase for a while."""
        s = self.settings
        if value is None:
            if (
                self._last_value_ms is not None
                and timestamp_ms - self._last_value_ms > s.max_gap_s * 1000
            ):
                self.phase, self._rest_since_ms = RepPhase.UNARMED, None
            return []
        self._last_value_ms = timestamp_ms
        events: list[Event] = []
        if self.phase is RepPhase.UNARMED:
            if not self._at_rest(value):
                self._rest_since_ms = None
                self._rest_values.clear()
                return events
            if self._rest_since_ms is None:
                self._rest_since_ms = timestamp_ms
            self._rest_values.append(value)
            if timestamp_ms - self._rest_since_ms >= s.arm_s * 1000:
                self.phase = RepPhase.REST
            return events
        if self._at_rest(value):
            if self.phase is RepPhase.PEAK:
                events.append(self._finish(timestamp_ms))
            elif self.phase is RepPhase.MOVING and self._partial():
                events.append(Event(EventKind.REP_PARTIAL, timestamp_ms))
            self.phase = RepPhase.REST
            self._rest_values.append(value)
            return events
        if self.phase is RepPhase.REST:
            self.phase, self._left_rest_ms, self._extreme = RepPhase.MOVING, timestamp_ms, value
        if self._extreme is None or self._further(value, self._extreme):
            self._extreme = value
        if self._at_peak(value) and self.phase is RepPhase.MOVING:
            self.phase = RepPhase.PEAK
            events.append(Event(EventKind.REP_PEAK, timestamp_ms))
        return events

    def _partial(self) -> bool:
        if self._extreme is None:
            return False
        base = self.baseline
        return abs(self._extreme - base) >= self.settings.partial_frac * abs(
            self.counter.peak - base
        )

    def _finish(self, timestamp_ms: float) -> Event:
        """The end of a rep that reached the peak: counted, or rejected with the reason."""
        assert self._extreme is not None
        duration_s = (timestamp_ms - self._left_rest_ms) / 1000
        reached = abs(self._extreme - self.baseline)
        if duration_s < self.settings.min_rep_s:
            return Event(
                EventKind.REP_REJECTED,
                timestamp_ms,
                f"too fast ({duration_s:.1f} s)",
                RejectReason.TOO_FAST,
            )
        if reached < self.counter.min_range:
            return Event(
                EventKind.REP_REJECTED,
                timestamp_ms,
                f"too small ({reached:.0f})",
                RejectReason.TOO_SMALL,
            )
        self.reps += 1
        if self.best is None or self._further(self._extreme, self.best):
            self.best = self._extreme
        return Event(EventKind.REP_COUNTED, timestamp_ms)
