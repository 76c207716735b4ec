"""The coaching state: one frame's landmarks in, one frame's assessment out.

Checks the camera set-up (someone in frame, the right view, close enough), judges the pose
file's rules on the body roles, keeps hold timers and rep counters per side, and picks the
one prompt to show.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from posecoach.coaching.body import (
    MAIN_JOINTS,
    PAIRED_JOINTS,
    BodyFrame,
    BodyTracker,
    Side,
    parse_role,
    torso_length_px,
)
from posecoach.coaching.posefile import Mode, PoseSpec, View
from posecoach.coaching.rules import History, Rule, RuleResult, When
from posecoach.coaching.smoothing import LandmarkSmoother, OneEuroParams
from posecoach.coaching.stillness import Stillness
from posecoach.coaching.temporal import (
    Event,
    EventKind,
    HoldSettings,
    HoldTimer,
    Phase,
    RejectReason,
    RepCounter,
    RepSettings,
)
from posecoach.coaching.trust import JointTrust, TrustSettings
from posecoach.config.defaults import CoachSettings
from posecoach.model.landmarks import Landmark, Landmarks


class Status(enum.Enum):
    """What the coach can say about a frame, from worst to best."""

    NO_PERSON = "no_person"
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    CUT_OFF = "cut_off"
    WRONG_VIEW = "wrong_view"
    JOINTS_HIDDEN = "joints_hidden"
    NOT_IN_POSITION = "not_in_position"
    IN_POSITION = "in_position"


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

# The torso must be in view: a shoulder and a hip on at least one side (side-on, the far
# side is often hidden behind the body).
_TORSO_PAIRS = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
)


# Fixes for a body cut off at one edge of the picture.
_EDGE_FIXES = {
    "top": "Step back or tilt the camera up",
    "bottom": "Step back or tilt the camera down",
    "left": "Move toward the middle of the picture",
    "right": "Move toward the middle of the picture",
}
_PART_NAMES = {Landmark.NOSE: "head"} | {
    landmark: {"ear": "head", "foot": "feet"}.get(joint, joint + "s")
    for joint, pair in PAIRED_JOINTS.items()
    for landmark in pair
}


def body_turn_deg(landmarks: Landmarks) -> float:
    """How far the body is turned from face-on: 0 facing the camera, 90 side-on.

    Read from the depth difference between the left and right hips, and between the left and
    right shoulders, in metric world coordinates when the model gives them, else in image
    units. The larger of the two turns counts: in a twist (the chest turned open over a
    side-on lunge) the hips still show the stance.
    """
    if landmarks.world_xyz_m is not None:
        pts = landmarks.world_xyz_m
        across = np.array(
            [
                pts[Landmark.LEFT_SHOULDER] - pts[Landmark.RIGHT_SHOULDER],
                pts[Landmark.LEFT_HIP] - pts[Landmark.RIGHT_HIP],
            ]
        )
        dx, dz = across[:, 0], across[:, 2]
    else:
        width = landmarks.resolution_wh[0]
        x, z = landmarks.xy_norm[:, 0] * width, landmarks.z * width
        dx = np.array(
            [
                x[Landmark.LEFT_SHOULDER] - x[Landmark.RIGHT_SHOULDER],
                x[Landmark.LEFT_HIP] - x[Landmark.RIGHT_HIP],
            ]
        )
        dz = np.array(
            [
                z[Landmark.LEFT_SHOULDER] - z[Landmark.RIGHT_SHOULDER],
                z[Landmark.LEFT_HIP] - z[Landmark.RIGHT_HIP],
            ]
        )
    return max(math.degrees(math.atan2(abs(z), abs(x))) for x, z in zip(dx, dz, strict=True))


def _listed(parts: list[str]) -> str:
    """'head is', 'knees and ankles are', 'wrists, knees and ankles are'."""
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return text + (" is" if parts == ["head"] else " are")


def _both_sides(role: str) -> tuple[Landmark, ...]:
    """The landmarks a role can mean, on either side of the body."""
    parsed = parse_role(role)
    assert parsed is not None, role
    if parsed[1] == "nose":
        return (Landmark.NOSE,)
    return PAIRED_JOINTS[parsed[1]]


def body_size_px(landmarks: Landmarks) -> float:
    """How big the body is in the picture, in pixels: the torso length, or a third of the span
    of the main joints when that is larger (lying seen from the feet, the torso is
    foreshortened though the body is near)."""
    span = landmarks.xy_px[MAIN_JOINTS]
    extent = float((span.max(axis=0) - span.min(axis=0)).max())
    return max(torso_length_px(landmarks), extent / 3)


@dataclass
class SideTotals:
    """Counts for one side (or for the whole stretch when it is not done per side)."""

    reps: int = 0
    hold_s: float = 0.0
    best: float | None = None  # the furthest signal value of a counted rep


@dataclass(frozen=True)
class Assessment:
    """Everything the coach concluded about one frame."""

    timestamp_ms: float
    frame_index: int
    status: Status
    prompt: str | None  # the one message on screen: a set-up prompt or a form cue
    prompt_is_new: bool  # the prompt appeared in this frame
    results: tuple[RuleResult, ...]
    body: BodyFrame | None
    side: Side | None  # the working side totals go to (None when not per side / unknown)
    turn_deg: float | None
    phase: Phase | None
    reps: int  # on the current side (in total when not per side)
    hold_s: float
    totals: dict[str, SideTotals]  # "left"/"right" when per side, else "all"
    events: tuple[Event, ...] = field(default_factory=tuple)
    # The landmarks the rules read (label swaps undone, smoothed) and which joints were
    # trusted; None when nobody was found.
    smoothed: Landmarks | None = None
    trusted: np.ndarray | None = None
    muted: bool = False
    counted: float | None = None  # reps: the signal value the rep counter read (None: none)

    @property
    def detected(self) -> bool:
        return self.status is not Status.NO_PERSON


@dataclass(frozen=True)
class Measurement:
    """One frame as measured, before the pose's thresholds are applied: what `Coach.judge`
    needs to assess it. Measuring is the costly half of coaching; judging again with other
    thresholds (tuning) reuses the measurements."""

    timestamp_ms: float
    frame_index: int
    setup: Status  # IN_POSITION when the set-up allows judging, else the set-up problem
    setup_prompt: str | None
    turn_deg: float | None
    body: BodyFrame | None
    side: Side | None  # the working side (the last known one when no body this frame)
    # Per rule of the pose, in order: its values, one per side it is judged on (none: it
    # could not be judged); empty: no rule was measured.
    values: tuple[tuple[float, ...], ...]
    smoothed: Landmarks | None
    trusted: np.ndarray | None
    motion: float | None = None  # how much the body moves (see Stillness); None: not known


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
        self._history = History(settle_s=s.settle_s)  # smoothed landmarks
        # As the model gave them (label swaps undone).
        self._raw_history = History(settle_s=s.settle_s)
        self._stillness = Stillness(s.still_window_s)
        # The body turns measured lately (timestamp, deg): the view is judged on their median,
        # so a frame or two of a misread turn neither refuses nor admits a view.
        self._turns: deque[tuple[float, float]] = deque()
        if pose.turn_deg is not None:
            self.turn_range = pose.turn_deg
        elif pose.view is View.SIDE:
            self.turn_range = (s.side_view_min_deg, 90.0)
        else:
            self.turn_range = (0.0, s.front_view_max_deg)
        self._hold_settings = hold_settings(s, pose)
        self._rep_settings = RepSettings(s.arm_s, s.min_rep_s, s.partial_rep_frac, s.rep_max_gap_s)
        # Every landmark the rules may read (both sides: which side a role means can change).
        self._needed = sorted(
            {
                landmark
                for rule in pose.rules
                for role in rule.roles()
                for landmark in _both_sides(role)
            }
            | {landmark for pair in _TORSO_PAIRS for landmark in pair}
        )
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
        self._turns.clear()
        for history in (self._history, self._raw_history):
            history.clear()
            history.follow(math.inf, False)
        # A photo is judged on its own: its cue shows at once, whatever the last one said.
        self._prompt, self._prompt_since_ms = None, -math.inf
        self._failing_since.clear()
        self._cued, self._event_cue = None, None
        self._scene_start = True

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

    def _setup_status(self, landmarks: Landmarks | None) -> tuple[Status, float | None, str | None]:
        """Can the form be judged from this camera? The status, body turn and a prompt that
        says how to fix the set-up (None: the status's usual prompt)."""
        if landmarks is None:
            self._turns.clear()
            return Status.NO_PERSON, None, None
        turn = self._steady_turn(landmarks)
        height = landmarks.resolution_wh[1]
        if body_size_px(landmarks) < self.settings.min_body_frac * height:
            return Status.TOO_FAR, turn, None
        needed = landmarks.xy_norm[self._needed]
        if np.any(needed.max(axis=0) - needed.min(axis=0) > 1.0):  # larger than the picture
            return Status.TOO_CLOSE, turn, None
        edges = self._cut_edges(needed)
        if edges:
            edge, joints = next(iter(edges.items()))
            return Status.CUT_OFF, turn, f"{_EDGE_FIXES[edge]}: your {joints} out of view"
        low, high = self.turn_range
        if not low <= turn <= high:
            return Status.WRONG_VIEW, turn, None
        if not all(self._any_trusted(pair) for pair in _TORSO_PAIRS):
            return Status.JOINTS_HIDDEN, turn, None
        return Status.IN_POSITION, turn, None

    def _steady_turn(self, landmarks: Landmarks) -> float:
        """The body turn over the last view_window_s: the median of the frames' turns."""
        now = landmarks.timestamp_ms
        self._turns.append((now, body_turn_deg(landmarks)))
        while now - self._turns[0][0] > self.settings.view_window_s * 1000:
            self._turns.popleft()
        return float(np.median([turn for _, turn in self._turns]))

    def _cut_edges(self, xy: np.ndarray) -> dict[str, str]:
        """Frame edges that cut off the landmarks the rules read (`xy`: their normalised
        positions, in `self._needed` order): edge -> the body parts (text)."""
        margin = self.settings.edge_margin
        edges: dict[str, list[str]] = {}
        for edge, outside in (
            ("bottom", xy[:, 1] > 1 + margin),
            ("top", xy[:, 1] < -margin),
            ("left", xy[:, 0] < -margin),
            ("right", xy[:, 0] > 1 + margin),
        ):
            for landmark in np.array(self._needed)[outside]:
                part = _PART_NAMES[Landmark(int(landmark))]
                if part not in edges.setdefault(edge, []):
                    edges[edge].append(part)
        return {edge: _listed(parts) for edge, parts in edges.items() if parts}

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
        status, turn, setup_prompt = self._setup_status(smoothed)
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
        self, results: list[RuleResult], phase: Phase, value: float | None, events: list[Event]
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
            phase is Phase.PEAK
            and value is not None
            and (
                self._extreme is None
                or (value > self._extreme[0] if counter.rising else value < self._extreme[0])
            )
        ):
            self._extreme = (value, {r.rule.id: r for r in results if r.rule.when is When.TOP})
        if any(e.kind is EventKind.REP_COUNTED for e in events) and self._extreme is not None:
            self._last_rep = self._extreme[1]
        if phase is Phase.REST:  # the rep is over, counted or not
            self._extreme = None
        judged = []
        for result in results:
            when = result.rule.when
            if when is When.TOP:
                result = self._last_rep.get(result.rule.id, RuleResult(result.rule, None, None))
            elif when is When.BOTTOM and phase is not Phase.REST:
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
