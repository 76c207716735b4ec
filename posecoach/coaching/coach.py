"""The coaching state: one frame's landmarks in, one frame's assessment out.

Checks the camera set-up (someone in frame, the right view, close enough: see
`posecoach.coaching.setup_check`), judges the pose file's rules on the body roles, keeps hold
timers and rep counters per side, and picks the one prompt to show. What it concludes comes
in the types of `posecoach.coaching.assessment`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from posecoach.coaching.assessment import Assessment, Measurement, SideTotals, Status
from posecoach.coaching.body import BodyFrame, BodyTracker, Side
from posecoach.coaching.posefile import Mode, PoseSpec, View
from posecoach.coaching.rules import RecentFrames, Rule, RuleResult, When
from posecoach.coaching.setup_check import SetupCheck
from posecoach.coaching.smoothing import LandmarkSmoother, OneEuroParams
from posecoach.coaching.stillness import Stillness
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
from posecoach.coaching.trust import JointTrust, TrustSettings
from posecoach.config.defaults import CoachSettings
from posecoach.model.landmarks import Landmark, Landmarks

_STATUS_PROMPTS = {
    Status.NO_PERSON: "Step into view",
    Status.TOO_FAR: "Come closer to the camera",
    Status.TOO_CLOSE: "Step back from the camera: your whole body must fit in the picture",
    Status.JOINTS_HIDDEN: "Keep your whole body in view",
}
_SWITCH_SIDES_PROMPT = "Well done: now switch sides"
_DONE_PROMPT = "Target reached: well done"
_PRAISE = "Good: that's it"
_HOLD_PAUSED = "Hold paused: "
_TOO_FAST = "Slower: take each rep up and down with control"
# Pending hold frames (the working side in doubt) are kept this long at most.
_PENDING_MAX_MS = 5000.0
_VIEW_PROMPTS = {
    View.SIDE: "Turn side-on to the camera",
    View.FRONT: "Face the camera",
}


def rejudge(
    pose: PoseSpec,
    measured: Iterable[Measurement],
    settings: CoachSettings | None = None,
    stills: bool = False,
) -> list[Assessment]:
    """Assess measured frames again under `pose` (the pose they were measured with, its
    thresholds changed): no model, no trust or smoothing, only the judging. Rules that look
    back in time (motion, bounce) keep the values they were measured with, which depend on
    when the person was in position: after changing a gate, measure again for them.
    `stills`: the frames are unrelated photos, each judged on its own (as when measured)."""
    coach = Coach(pose, settings)
    assessed = []
    for m in measured:
        if stills:
            coach.new_scene()
        assessed.append(coach.judge(m))
    return assessed


def hold_settings(settings: CoachSettings, pose: PoseSpec) -> HoldSettings:
    """How the coach's hold timers for `pose` decide, from its settings. A stay as long as the
    target is a whole hold: the shortest stay is never longer than the target (a routine may
    ask for short holds)."""
    s = settings
    return HoldSettings(
        s.hold_grace_s,
        s.arm_s,
        s.unknown_max_s,
        still_max=s.still_max_torso,
        moving_min=s.moving_min_torso,
        still_window_s=s.still_window_s,
        stay_s=min(pose.stay_s, pose.target) if pose.mode is Mode.HOLD else 0.0,
    )


class Coach:
    """Holds the state of one coaching session for one stretch."""

    def __init__(self, pose: PoseSpec, settings: CoachSettings | None = None) -> None:
        self.pose = pose
        self.settings = s = settings or CoachSettings()
        self.muted = False  # form cues and praise are not given (set-up prompts still are)
        self._tracker = BodyTracker(pose.working, s.side_switch_s)
        self._trust = JointTrust(
            TrustSettings(
                min_visibility=s.min_visibility,
                edge_margin=s.edge_margin,
                bone_ratio_max=s.bone_ratio_max,
                jump_torso=s.jump_torso,
                jump_speed_torso_s=s.jump_speed_torso_s,
                jump_settle_s=s.jump_settle_s,
            )
        )
        self._smoother = LandmarkSmoother(
            OneEuroParams(s.smooth_min_cutoff_hz, s.smooth_beta, s.smooth_d_cutoff_hz),
            reset_after_s=s.hold_grace_s,
        )
        self._trusted = np.ones(len(Landmark), bool)
        # Motion and bounce rules judge a stay in position after its first `settle_s`.
        self._history = RecentFrames(settle_s=s.settle_s)  # smoothed landmarks
        # As the model gave them (label swaps undone).
        self._raw_history = RecentFrames(settle_s=s.settle_s)
        self._stillness = Stillness(s.still_window_s)
        self._setup = SetupCheck(pose, s)
        self._hold_settings = hold_settings(s, pose)
        self._rep_settings = RepSettings(s.arm_s, s.min_rep_s, s.partial_rep_frac, s.rep_max_gap_s)
        self._timers: dict[str, HoldTimer] = {}
        self._counters: dict[str, RepCounter] = {}
        # Hold frames (timestamp, state, motion) kept while the working side is in doubt,
        # credited to whichever side it settles on.
        self._pending: list[tuple[float, bool | None, float | None]] = []
        self._prompt: str | None = None
        self._prompt_since_ms = -math.inf
        self._target_reached: set[str] = set()
        # The furthest signal value of the current rep, with the "top" rules' results there.
        self._extreme: tuple[float, dict[str, RuleResult]] | None = None
        # The "top" rules' verdicts on the last counted rep.
        self._last_rep: dict[str, RuleResult] = {}
        # Cue policy: since when each rule has been failing; the rule whose cue was shown
        # (praised once it passes); a cue from an event (a partial rep) and until when.
        self._failing_since: dict[str, float] = {}
        self._cued: Rule | None = None
        self._event_cue: tuple[str, float] | None = None
        # The first frame of a scene (a session, or a photo): failing rules are cued at once,
        # as there is no earlier frame to wait for.
        self._scene_start = True

    def new_scene(self) -> None:
        """Forget the joints' recent motion (the next frame is unrelated to the last, such as
        the next photo of a folder): no jumps, swaps or smoothing across the cut."""
        self._trust.reset()
        self._smoother.reset()
        self._stillness.clear()
        self._setup.clear()
        for history in (self._history, self._raw_history):
            history.clear()
            history.follow(math.inf, False)
        # A photo is judged on its own: its cue shows at once, whatever the last one said.
        self._prompt, self._prompt_since_ms = None, -math.inf
        self._failing_since.clear()
        self._cued, self._event_cue = None, None
        self._scene_start = True

    @property
    def turn_range(self) -> tuple[float, float]:
        """The body turns (deg, 0 face-on to 90 side-on) the pose's view admits."""
        return self._setup.turn_range

    def _key(self, side: Side | None) -> str | None:
        if not self.pose.per_side:
            return "all"
        return side.value if side is not None else None

    def totals(self) -> dict[str, SideTotals]:
        keys = ["left", "right"] if self.pose.per_side else ["all"]
        return {
            key: SideTotals(
                reps=self._counters[key].reps if key in self._counters else 0,
                hold_s=self._timers[key].held_s if key in self._timers else 0.0,
                best=self._counters[key].best if key in self._counters else None,
            )
            for key in keys
        }

    def _set_prompt(self, wanted: str | None, timestamp_ms: float) -> bool:
        """Change the prompt unless the current one has been up for less than cue_min_s: a
        prompt stays long enough to read, and at most one new one comes every cue_min_s."""
        if wanted == self._prompt:
            return False
        shown_ms = timestamp_ms - self._prompt_since_ms
        if shown_ms < self.settings.cue_min_s * 1000 and (
            self._prompt is not None or wanted is not None
        ):
            return False
        # A cleared prompt keeps its time, so the next one still waits for cue_min_s.
        if wanted is not None:
            self._prompt_since_ms = timestamp_ms
        self._prompt = wanted
        return wanted is not None

    def update(
        self, landmarks: Landmarks | None, timestamp_ms: float, frame_index: int
    ) -> Assessment:
        """Assess one frame; `landmarks` is None when nobody was found."""
        return self.judge(self.measure(landmarks, timestamp_ms, frame_index))

    def measure(
        self, landmarks: Landmarks | None, timestamp_ms: float, frame_index: int
    ) -> Measurement:
        """The first half of `update`: everything about the frame that no threshold of the
        pose changes (trust, smoothing, set-up, body roles, every rule's value)."""
        smoothed = None
        if landmarks is None:
            self._trust.reset()
            self._smoother.reset()
            self._history.clear()  # motion is never measured across a gap
            self._raw_history.clear()
            self._stillness.clear()
        else:
            trust = self._trust.update(landmarks)
            landmarks, self._trusted = trust.landmarks, trust.trusted
            smoothed = self._smoother.update(landmarks, ~trust.implausible)
        motion = None
        if smoothed is not None and self.pose.mode is Mode.HOLD:  # only holds read it
            moved = self._stillness.update(smoothed, self._trusted)
            motion = None if math.isnan(moved) else moved
        status, turn, setup_prompt = self._setup.check(smoothed, self._trusted)
        body = None
        values: tuple[tuple[float, ...], ...] = ()
        if landmarks is not None and smoothed is not None and status is Status.IN_POSITION:
            body = self._tracker.update(smoothed)
            self._history.add(smoothed, body)
            self._raw_history.add(landmarks, body)
            values = tuple(
                self._values(rule, smoothed, landmarks, body) for rule in self.pose.rules
            )
        return Measurement(
            timestamp_ms=timestamp_ms,
            frame_index=frame_index,
            setup=status,
            setup_prompt=setup_prompt,
            turn_deg=turn,
            body=body,
            # With nobody (or no clear body) in this frame, totals stay with the last side.
            side=body.working_side if body is not None else self._tracker.working_side,
            values=values,
            smoothed=smoothed,
            trusted=None if landmarks is None else self._trusted.copy(),
            motion=motion,
        )

    def judge(self, measured: Measurement) -> Assessment:
        """The second half of `update`: the pose's thresholds applied to a measured frame,
        then holds, reps and cues. A coach built with other thresholds can judge frames
        another coach measured (see `rejudge`)."""
        timestamp_ms, body, turn = measured.timestamp_ms, measured.body, measured.turn_deg
        status, setup_prompt = measured.setup, measured.setup_prompt
        results = [
            RuleResult(rule, value, None if value is None else rule.passes(value))
            for rule, value in (
                (rule, rule.choose(values))
                for rule, values in zip(self.pose.rules, measured.values, strict=False)
            )
        ]
        if results:
            gates = [r for r in results if r.rule.gate]
            if any(r.passed is False for r in gates):
                status = Status.NOT_IN_POSITION
            elif any(r.passed is None for r in gates):
                status = Status.JOINTS_HIDDEN
        in_position = status is Status.IN_POSITION
        # In position, out of it, or unknown (the joints that decide it are not trusted).
        state = True if in_position else None if status is Status.JOINTS_HIDDEN else False
        self._history.follow(timestamp_ms, state)
        self._raw_history.follow(timestamp_ms, state)

        side = measured.side
        key = self._key(side)
        events: list[Event] = []
        phase = None
        counted = None
        if self.pose.mode is Mode.HOLD:
            events += self._hold(key, body, timestamp_ms, state, measured.motion)
        elif self.pose.counter is not None and key is not None:
            counter = self._counters.setdefault(
                key, RepCounter(self.pose.counter, self._rep_settings)
            )
            signal = {r.rule.id: r for r in results}.get(self.pose.counter.signal)
            value = signal.value if (in_position and signal is not None) else None
            counted = value
            events += counter.update(timestamp_ms, value)
            phase = counter.phase
            results = self._phase_results(results, phase, value, events)
            self._rep_cues(events, timestamp_ms)
        totals = self.totals()
        current = totals.get(key or "", SideTotals())
        done = current.hold_s if self.pose.mode is Mode.HOLD else current.reps
        if key is not None and done >= self.pose.target and key not in self._target_reached:
            self._target_reached.add(key)
            events.append(Event(EventKind.TARGET_REACHED, timestamp_ms))

        self._track_failing(results, timestamp_ms)
        prompt = setup_prompt or self._choose_prompt(status, results, key, timestamp_ms)
        self._scene_start = False
        is_new = self._set_prompt(prompt, timestamp_ms)
        if is_new:
            self._cued = next(
                (r.rule for r in results if r.passed is False and r.rule.cue == prompt), None
            )
        return Assessment(
            timestamp_ms=timestamp_ms,
            frame_index=measured.frame_index,
            status=status,
            prompt=self._prompt,
            prompt_is_new=is_new,
            results=tuple(results),
            body=body,
            side=side,
            turn_deg=turn,
            phase=phase,
            reps=current.reps,
            hold_s=current.hold_s,
            totals=totals,
            events=tuple(events),
            smoothed=measured.smoothed,
            trusted=measured.trusted,
            muted=self.muted,
            counted=counted,
            holding=(
                None
                if self.pose.mode is not Mode.HOLD
                else key in self._timers and self._timers[key].holding
            ),
        )

    def _hold(
        self,
        key: str | None,
        body: BodyFrame | None,
        timestamp_ms: float,
        state: bool | None,
        motion: float | None,
    ) -> list[Event]:
        """Feed the hold timer of the working side. While the side is in doubt (a mislabelled
        frame, or the first moments on the other side) the frames wait, and go to whichever
        side it settles on: a flicker changes nothing, a real switch loses no time."""
        settled = body is None or body.side_settled
        if key is None or not settled:
            self._pending.append((timestamp_ms, state, motion))
            while self._pending and timestamp_ms - self._pending[0][0] > _PENDING_MAX_MS:
                self._pending.pop(0)
            return []
        timer = self._timers.setdefault(key, HoldTimer(self._hold_settings))
        events: list[Event] = []
        for pending in self._pending:
            events += timer.update(*pending)
        self._pending.clear()
        return events + timer.update(timestamp_ms, state, motion)

    def _rep_cues(self, events: list[Event], timestamp_ms: float) -> None:
        """A rep that stopped short, or went too fast, gets its cue."""
        counter = self.pose.counter
        assert counter is not None
        for event in events:
            text = None
            if event.kind is EventKind.REP_PARTIAL or (event.reason is RejectReason.TOO_SMALL):
                text = counter.partial_cue
            elif event.reason is RejectReason.TOO_FAST:
                text = _TOO_FAST
            if text is not None:
                self._event_cue = (
                    text,
                    self._shown_from(timestamp_ms) + self.settings.cue_min_s * 1000,
                )

    def _shown_from(self, timestamp_ms: float) -> float:
        """When a new prompt wanted now can first appear (the current one stays cue_min_s)."""
        return max(timestamp_ms, self._prompt_since_ms + self.settings.cue_min_s * 1000)

    def _track_failing(self, results: list[RuleResult], timestamp_ms: float) -> None:
        """Note since when each rule has been failing without a break."""
        failing = {r.rule.id for r in results if r.passed is False}
        for rule_id in list(self._failing_since):
            if rule_id not in failing:
                del self._failing_since[rule_id]
        for rule_id in failing:
            self._failing_since.setdefault(rule_id, timestamp_ms)

    def _any_trusted(self, ids: tuple[Landmark, ...]) -> bool:
        return bool(self._trusted[list(ids)].any())

    def _values(
        self, rule: Rule, smoothed: Landmarks, raw: Landmarks, body: BodyFrame
    ) -> tuple[float, ...]:
        """The rule's values in this frame, one per side it is judged on (see `Rule.sides`);
        none when it cannot be judged."""
        values = []
        for sides in rule.sides(body):
            # A midpoint role needs one of its pair trusted (side-on, the far one is often
            # hidden and the model places it beside the near one); a sided role its joint.
            if not all(self._any_trusted(sides.landmarks_for(role)) for role in rule.roles()):
                continue
            if rule.raw:
                value = rule.measure(raw, sides, self._raw_history)
            else:
                value = rule.measure(smoothed, sides, self._history)
            if not math.isnan(value):
                values.append(value)
        return tuple(values)

    def _phase_results(
        self, results: list[RuleResult], phase: RepPhase, value: float | None, events: list[Event]
    ) -> list[RuleResult]:
        """Judge "top" rules once per rep, on the frame where the rep went furthest.

        Judging them frame by frame would fail them on every way up and down; instead the
        verdict from the rep's extreme frame is given when the rep is counted, and stands
        (so its cue can still be shown) until the next rep is counted. "bottom" rules are
        judged while at rest.
        """
        counter = self.pose.counter
        assert counter is not None
        if (
            phase is RepPhase.PEAK
            and value is not None
            and (
                self._extreme is None
                or (value > self._extreme[0] if counter.rising else value < self._extreme[0])
            )
        ):
            self._extreme = (value, {r.rule.id: r for r in results if r.rule.when is When.TOP})
        if any(e.kind is EventKind.REP_COUNTED for e in events) and self._extreme is not None:
            self._last_rep = self._extreme[1]
        if phase is RepPhase.REST:  # the rep is over, counted or not
            self._extreme = None
        judged = []
        for result in results:
            when = result.rule.when
            if when is When.TOP:
                result = self._last_rep.get(result.rule.id, RuleResult(result.rule, None, None))
            elif when is When.BOTTOM and phase is not RepPhase.REST:
                result = RuleResult(result.rule, result.value, None)
            judged.append(result)
        return judged

    def _choose_prompt(
        self, status: Status, results: list[RuleResult], key: str | None, timestamp_ms: float
    ) -> str | None:
        """The prompt this frame calls for, before the cue policy's timing.

        Set-up problems first, then side and target prompts, then (unless muted) a partial
        rep's cue, the highest-priority rule that has failed for cue_delay_s, and praise once
        the rule last cued passes again.
        """
        if status in _STATUS_PROMPTS:
            return _STATUS_PROMPTS[status]
        if status is Status.WRONG_VIEW:
            return _VIEW_PROMPTS.get(self.pose.view)
        if key is not None and key in self._target_reached:
            if self.pose.per_side and len(self._target_reached) < 2:
                return _SWITCH_SIDES_PROMPT
            return _DONE_PROMPT
        if self.muted:
            return None
        if self._event_cue is not None:
            if timestamp_ms <= self._event_cue[1]:
                return self._event_cue[0]
            self._event_cue = None
        delay_ms = self.settings.cue_delay_s * 1000
        failing = [
            r
            for r in results
            if r.passed is False
            and (
                r.rule.when is When.TOP
                or self._scene_start
                or timestamp_ms - self._failing_since.get(r.rule.id, timestamp_ms) >= delay_ms
            )
        ]
        if status is Status.NOT_IN_POSITION:
            failing = [r for r in failing if r.rule.gate]
        if failing:
            rule = min(failing, key=lambda r: r.rule.priority).rule
            timer = self._timers.get(key or "")
            if rule.gate and timer is not None and timer.held_ms > 0 and not timer.holding:
                return _HOLD_PAUSED + rule.cue  # a hold that broke says why
            return rule.cue
        if status is Status.NOT_IN_POSITION:
            return None
        cued = self._cued
        if (
            cued is not None
            and any(r.rule is cued and r.passed for r in results)
            and self._prompt in (cued.cue, None)
        ):
            self._cued = None
            self._event_cue = (
                cued.praise or _PRAISE,
                self._shown_from(timestamp_ms) + self.settings.praise_s * 1000,
            )
            return self._event_cue[0]
        return None
