"""Hold timers and rep counters: timestamps and per-frame states in, events out.

Nothing here reads a clock. A replay at 300 fps gives the same result as live use at 30 fps.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posecoach.posefile import Counter


class EventKind(enum.Enum):
    HOLD_STARTED = "hold_started"
    HOLD_PAUSED = "hold_paused"
    TARGET_REACHED = "target_reached"
    REP_PEAK = "rep_peak"
    REP_COUNTED = "rep_counted"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    timestamp_ms: float


class HoldTimer:
    """Accumulates time in position.

    A lapse (not in position, or unknown) shorter than `grace_s` is bridged: the hold goes on
    and the lapse counts as held. A longer lapse pauses the timer from its first lapsed frame.
    """

    def __init__(self, grace_s: float) -> None:
        self.grace_ms = grace_s * 1000
        self.held_ms = 0.0
        self.holding = False
        self._last_good_ms = 0.0

    @property
    def held_s(self) -> float:
        return self.held_ms / 1000

    def update(self, timestamp_ms: float, in_position: bool) -> list[Event]:
        events: list[Event] = []
        gap_ms = timestamp_ms - self._last_good_ms
        if in_position:
            if self.holding and gap_ms <= self.grace_ms:
                self.held_ms += gap_ms
            else:
                if self.holding:  # frames stopped arriving for longer than the grace
                    events.append(Event(EventKind.HOLD_PAUSED, self._last_good_ms))
                self.holding = True
                events.append(Event(EventKind.HOLD_STARTED, timestamp_ms))
            self._last_good_ms = timestamp_ms
        elif self.holding and gap_ms > self.grace_ms:
            self.holding = False
            events.append(Event(EventKind.HOLD_PAUSED, self._last_good_ms))
        return events


class Phase(enum.Enum):
    """Where a rep counter is: not yet seen at rest, at rest, moving, or at the peak."""

    UNARMED = "unarmed"
    REST = "rest"
    MOVING = "moving"
    PEAK = "peak"


class RepCounter:
    """Counts start -> peak -> start cycles of one signal, with hysteresis.

    The counter arms only once the signal has been seen at rest, so starting at the peak (or
    in the middle) counts nothing. A rep counts when the signal comes back to rest after
    reaching the peak; jitter around either threshold changes nothing, because leaving the
    peak does not count until the start is reached again, and vice versa.
    """

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.phase = Phase.UNARMED
        self.reps = 0

    def _at_rest(self, value: float) -> bool:
        c = self.counter
        return value <= c.start if c.rising else value >= c.start

    def _at_peak(self, value: float) -> bool:
        c = self.counter
        return value >= c.peak if c.rising else value <= c.peak

    def update(self, timestamp_ms: float, value: float | None) -> list[Event]:
        """Feed one frame's signal; None (not judged this frame) keeps the phase."""
        if value is None:
            return []
        events: list[Event] = []
        if self._at_rest(value):
            if self.phase is Phase.PEAK:
                self.reps += 1
                events.append(Event(EventKind.REP_COUNTED, timestamp_ms))
            self.phase = Phase.REST
        elif self._at_peak(value):
            if self.phase in (Phase.REST, Phase.MOVING):
                self.phase = Phase.PEAK
                events.append(Event(EventKind.REP_PEAK, timestamp_ms))
        elif self.phase is Phase.REST:
            self.phase = Phase.MOVING
        return events
