"""Tuning a stretch's thresholds against a clip: measure every frame once, then judge the
whole clip again at each change (`Tuner`), in a window with a slider per threshold
(`run_window`).

Measuring (trust, smoothing, body roles, every rule's value) is the costly half of coaching
and no threshold changes it; judging again is fast (tens of thousands of frames a second), so
moving a slider re-evaluates the whole clip at once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecoach.coaching.coach import Assessment, Coach, Measurement, SideTotals, Status, rejudge
from posecoach.coaching.overrides import (
    COUNTER,
    TUNE_SOURCE,
    Override,
    apply_overrides,
    overridable_values,
)
from posecoach.coaching.posefile import Mode, PoseSpec
from posecoach.coaching.rules import Rule, range_text
from posecoach.config.defaults import POSE_KEYS, CoachSettings
from posecoach.config.errors import PosecoachError
from posecoach.model.recording import StreamFrame
from posecoach.output.overlay import FONT, annotate

_STEPS = {"deg": 1.0, "torso": 0.01, "count": 1.0}
_BAND_COLORS = {True: (60, 170, 60), False: (50, 50, 210), None: (160, 160, 160)}  # BGR


@dataclass(frozen=True)
class Knob:
    """One threshold that can be tuned: `owner` is a rule id or "counter"."""

    owner: str
    key: str  # min_deg, max_torso, max_count, start, peak, min_range, ...
    value: float
    low: float  # the slider's range
    high: float
    step: float

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.key}"


def threshold_values(pose: PoseSpec) -> dict[str, float]:
    """Every threshold of the pose, "rule.key" or "counter.key" -> value: each rule's minimum
    and maximum (those it sets) and the rep counter's numbers."""
    return {
        name: value
        for name, value in overridable_values(pose).items()
        if value is not None
        and (name.startswith(f"{COUNTER}.") or name.split(".", 1)[1][:4] in ("min_", "max_"))
    }


def with_value(pose: PoseSpec, name: str, value: float) -> PoseSpec:
    """The pose with one threshold ("rule.key" or "counter.key") changed, checked as a `--set`
    value is; OverridesError when it is not a threshold of this pose, lies outside its
    declared range, or crosses the other end of its range."""
    owner, _, key = name.rpartition(".")
    where = f"{name} at {value:g}"
    return apply_overrides(pose, [Override(pose.id, owner, key, value, TUNE_SOURCE, where)])


class Tuner:
    """A stretch's thresholds against one clip's landmark stream.

    The stream is measured once; `set` changes a threshold and judges the whole clip again.
    A change to a gate of a pose with motion or bounce rules measures again (those rules
    only look at the time spent in position, which the gates decide).
    """

    def __init__(
        self,
        pose: PoseSpec,
        frames: Sequence[StreamFrame],
        settings: CoachSettings | None = None,
        stills: bool = False,
    ) -> None:
        if not frames:
            raise PosecoachError("nothing to tune on: the clip has no frames")
        self.original = pose
        self.pose = pose
        self.settings = settings
        self._frames = frames
        self._stills = stills  # unrelated photos: each judged on its own
        self._measured: list[Measurement] = []
        self.assessments: list[Assessment] = []
        self._measure()
        self.knobs = self._knobs()

    def _measure(self) -> None:
        coach = Coach(self.pose, self.settings)
        self._measured, self.assessments = [], []
        for landmarks, timestamp_ms, index in self._frames:
            if self._stills:
                coach.new_scene()
            measured = coach.measure(landmarks, timestamp_ms, index)
            self._measured.append(measured)
            self.assessments.append(coach.judge(measured))

    @property
    def measured(self) -> list[Measurement]:
        """Every frame as measured (what judging again starts from)."""
        return self._measured

    def _knobs(self) -> list[Knob]:
        """A slider per threshold, spanning the values the clip shows and the threshold."""
        knobs = []
        for name, value in threshold_values(self.pose).items():
            owner, _, key = name.partition(".")
            if owner == COUNTER:
                assert self.pose.counter is not None
                seen = self.values(self.pose.counter.signal)
                step = _STEPS.get(self.pose.rule(self.pose.counter.signal).spec.unit_key, 0.01)
            else:
                seen = self.values(owner)
                step = _STEPS.get(self.pose.rule(owner).spec.unit_key, 0.01)
            if key == "min_range":
                low, high = 0.0, max(value * 2, 10.0)
            else:
                finite = seen[np.isfinite(seen)]
                lo = float(finite.min()) if finite.size else value
                hi = float(finite.max()) if finite.size else value
                margin = max((hi - lo) * 0.1, 5 * step)
                low, high = min(lo, value) - margin, max(hi, value) + margin
            declared = POSE_KEYS.get(key)
            if declared is not None:
                low, high = max(low, declared.min), min(high, declared.max)
            low = math.floor(low / step) * step
            high = math.ceil(high / step) * step
            knobs.append(Knob(owner, key, value, low, high, step))
        return knobs

    def set(self, name: str, value: float) -> None:
        """Change one threshold and judge the clip again."""
        if name in overridable_values(self.pose) and name not in threshold_values(self.pose):
            raise PosecoachError(
                f"{self.pose.id}.{name} is not a threshold (tune moves thresholds: "
                f"{', '.join(threshold_values(self.pose))})"
            )
        self.use(with_value(self.pose, name, value))

    def use(self, pose: PoseSpec) -> None:
        """Judge the clip with `pose` (this stretch with other thresholds) from now on;
        measures again when a gate changed and motion or bounce rules depend on it."""
        gates_changed = any(
            rule.gate and (rule.min_value, rule.max_value) != (old.min_value, old.max_value)
            for rule, old in zip(pose.rules, self.pose.rules, strict=True)
        )
        self.pose = pose
        values = threshold_values(pose)
        self.knobs = [dataclasses.replace(k, value=values[k.name]) for k in self.knobs]
        if gates_changed and any(r.spec.uses_history for r in pose.rules):
            self._measure()
        else:
            self.assessments = self.judge_again(pose)

    def judge_again(self, pose: PoseSpec) -> list[Assessment]:
        """The clip as `pose` (this pose with other thresholds) judges the frames measured
        now, without changing the tuner."""
        return rejudge(pose, self._measured, self.settings, self._stills)

    def changed(self) -> dict[str, float]:
        """The thresholds now different from the pose the tuner started with."""
        before = threshold_values(self.original)
        return {
            name: value for name, value in threshold_values(self.pose).items()
            if value != before[name]
        }  # fmt: skip

    @property
    def totals(self) -> dict[str, SideTotals]:
        return self.assessments[-1].totals

    def values(self, rule_id: str) -> np.ndarray:
        """The rule's value per frame (NaN where it was not judged)."""
        index = [r.id for r in self.pose.rules].index(rule_id)
        rule = self.pose.rules[index]
        chosen = (
            rule.choose(m.values[index]) if len(m.values) > index else None for m in self._measured
        )
        return np.array([np.nan if value is None else value for value in chosen], dtype=float)

    def verdicts(self, rule_id: str) -> list[bool | None]:
        """The rule's verdict per frame as judged now (None: not judged)."""
        return [
            next((r.passed for r in a.results if r.rule.id == rule_id), None)
            for a in self.assessments
        ]

    def in_position(self) -> np.ndarray:
        return np.array([a.status is Status.IN_POSITION for a in self.assessments])

    def failing_share(self, rule_id: str) -> float | None:
        """Share of the frames in position where the rule fails (None: never in position)."""
        where = self.in_position()
        if not where.any():
            return None
        verdicts = np.array(self.verdicts(rule_id), dtype=object)[where]
        return float(np.mean(verdicts == False))  # noqa: E712

    def summary(self) -> str:
        """Counts or hold seconds per side, as the clip is judged now."""
        parts = []
        for key, totals in self.totals.items():
            done = (
                f"{totals.reps} reps" if self.pose.mode is Mode.REPS else f"{totals.hold_s:.1f} s"
            )
            parts.append(done if key == "all" else f"{key} {done}")
        return ", ".join(parts)

    def render(self, index: int, image: np.ndarray, width: int = 960) -> np.ndarray:
        """The frame with its overlay above the signal traces of every rule, with threshold
        lines, pass/fail bands and a cursor at `index`."""
        assessment = self.assessments[index]
        shown = annotate(image, assessment.smoothed, assessment, self.pose)
        scale = width / shown.shape[1]
        shown = cv2.resize(shown, (width, round(shown.shape[0] * scale)))
        header = np.full((34, width, 3), 30, np.uint8)
        text = f"{self.pose.name}: {self.summary()}   frame {index + 1}/{len(self.assessments)}"
        cv2.putText(header, text, (8, 23), FONT, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
        traces = [self._trace(rule, index, width) for rule in self.pose.rules]
        return np.vstack([header, shown, *traces])

    def _trace(self, rule: Rule, index: int, width: int, height: int = 64) -> np.ndarray:
        strip = np.full((height, width, 3), 24, np.uint8)
        values = self.values(rule.id)
        verdicts = self.verdicts(rule.id)
        n = len(values)
        xs = np.linspace(0, width - 1, n)
        band = height - 8
        for x0, x1, verdict in zip(xs[:-1], xs[1:], verdicts[:-1], strict=True):
            color = (
                (160, 160, 160) if verdict is None else (60, 170, 60) if verdict else (50, 50, 210)
            )
            cv2.rectangle(strip, (int(x0), band), (int(x1) + 1, height - 1), color, -1)
        thresholds = [v for v in (rule.min_value, rule.max_value) if v is not None]
        counter = self.pose.counter
        counts = counter is not None and counter.signal == rule.id
        reps = [counter.start, counter.peak] if counter is not None and counts else []
        finite = values[np.isfinite(values)]
        span = [*finite.tolist(), *thresholds, *reps]
        lo, hi = (min(span), max(span)) if span else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1

        def y(v: float) -> int:
            return round(band - 4 - (v - lo) / (hi - lo) * (band - 16))

        for threshold in thresholds:
            cv2.line(strip, (0, y(threshold)), (width - 1, y(threshold)), (0, 170, 255), 1)
        for level in reps:  # the rep counter's start and peak
            cv2.line(strip, (0, y(level)), (width - 1, y(level)), (255, 200, 0), 1)
        points = [(int(x), y(v)) for x, v in zip(xs, values, strict=True) if math.isfinite(v)]
        if len(points) > 1:
            cv2.polylines(strip, [np.array(points, np.int32)], False, (235, 235, 235), 1)
        cursor = int(xs[index]) if n > 1 else 0
        cv2.line(strip, (cursor, 0), (cursor, height - 1), (255, 255, 255), 1)
        passing = range_text(rule.min_value, rule.max_value, rule.spec.unit_key)
        label = rule.id + (" (gate)" if rule.gate else "") + "  passes " + passing
        if counter is not None and counts:
            label += f"  reps: start {counter.start:g}, peak {counter.peak:g}"
        share = self.failing_share(rule.id)
        if share is not None:
            label += f"  fails {share:.0%} in position"
        cv2.putText(strip, label, (6, 14), FONT, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
        return strip


def load_stream(path: str | Path, model: str | None = None) -> tuple[list[StreamFrame], bool]:
    """A clip's landmark stream, running the pose model once over it (a recording's landmarks
    are read as recorded, with no model); and whether its frames are unrelated stills (an
    image folder)."""
    from posecoach.model.opening import open_input
    from posecoach.model.recording import RecordingSource

    with open_input(path, model) as opened:
        source, estimator = opened.source, opened.estimator
        if estimator is None:  # a recording: its landmarks as recorded
            assert isinstance(source, RecordingSource)
            return source.recording.stream(), source.independent_frames
        frames = [(estimator.estimate(frame), frame.timestamp_ms, frame.index) for frame in source]
        return frames, source.independent_frames


class FrameImages:
    """The picture of frame `index` of a video, read on demand (seeking), or a plain canvas
    when there is no video (a recording)."""

    def __init__(self, video: Path | None, size_wh: tuple[int, int]) -> None:
        self._capture = cv2.VideoCapture(str(video)) if video is not None else None
        self._canvas = np.full((size_wh[1], size_wh[0], 3), 60, np.uint8)
        self._next = 0

    def get(self, index: int) -> np.ndarray:
        if self._capture is None:
            return self._canvas
        if index != self._next:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = self._capture.read()
        self._next = index + 1
        return image if ok else self._canvas

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


class TuneWindow:
    """The tuning window: a slider per threshold and one for the frame; space plays and
    pauses, `s` saves the changed thresholds (through `save`), `q` or Esc closes."""

    def __init__(
        self,
        tuner: Tuner,
        images: FrameImages,
        save: Callable[[dict[str, float]], str],
        title: str = "posecoach tune",
    ) -> None:
        self.tuner, self.images, self.save, self.title = tuner, images, save, title
        self.index = 0
        self.playing = False
        self.message = "s: save   space: play/pause   q: quit"
        cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        last = max(len(tuner.assessments) - 1, 1)
        cv2.createTrackbar("frame", title, 0, last, lambda _: None)
        for knob in tuner.knobs:
            cv2.createTrackbar(knob.name, title, self._position(knob), self._count(knob), _noop)

    @staticmethod
    def _count(knob: Knob) -> int:
        return max(round((knob.high - knob.low) / knob.step), 1)

    @staticmethod
    def _position(knob: Knob) -> int:
        return round((knob.value - knob.low) / knob.step)

    def poll(self) -> None:
        """Read the sliders; judge the clip again for any threshold that moved."""
        self.index = cv2.getTrackbarPos("frame", self.title)
        for knob in self.tuner.knobs:
            value = round(knob.low + cv2.getTrackbarPos(knob.name, self.title) * knob.step, 6)
            if value != knob.value:
                try:
                    self.tuner.set(knob.name, value)
                    self.message = f"{knob.name} = {value:g}: {self.tuner.summary()}"
                except PosecoachError as error:
                    self.message = str(error)
                    cv2.setTrackbarPos(knob.name, self.title, self._position(knob))

    def run(self) -> None:
        while True:
            self.poll()
            shown = self.tuner.render(self.index, self.images.get(self.index))
            footer = np.full((30, shown.shape[1], 3), 30, np.uint8)
            cv2.putText(footer, self.message, (8, 20), FONT, 0.5, (0, 200, 255), 1, cv2.LINE_AA)
            cv2.imshow(self.title, np.vstack([shown, footer]))
            key = cv2.waitKey(30) & 0xFF
            if key in (ord("q"), 27):
                break
            if key == ord(" "):
                self.playing = not self.playing
            elif key == ord("s"):
                self.message = self.save(self.tuner.changed())
            if self.playing and self.index < len(self.tuner.assessments) - 1:
                cv2.setTrackbarPos("frame", self.title, self.index + 1)
        cv2.destroyWindow(self.title)


def _noop(_: int) -> None:
    """Sliders are read by polling, so a drag judges the clip once per screen refresh."""
