"""Guided sessions: a routine's stretches, one after another, led without the keyboard.

Per stretch: its name and a one-line how-to, a check that the camera sees the whole body
from the view the stretch needs, a short countdown, the reps or holds (per side, with
"switch sides" prompts), then a rest and the next. `Guide` decides all of it from the frames'
own times, so a camera, a video played as one, or a file analysed at full speed give the same
session; `run_guided` runs it over a source with the threaded frame loop of `posecoach.run.loop`.
"""

from __future__ import annotations

import contextlib
import enum
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from posecoach.coaching.coach import Assessment, Coach, Status
from posecoach.coaching.posefile import Mode, PoseSpec, View
from posecoach.coaching.routine import Routine, Step
from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.model.landmarks import Landmarks
from posecoach.output.sinks import Key
from posecoach.reports.report import SessionReport
from posecoach.reports.signals import SignalTable
from posecoach.reports.summary import (
    GuidedStretch,
    GuidedSummary,
    PlannedStretch,
    TimelineEntry,
)
from posecoach.run.interrupts import StopRequest
from posecoach.run.loop import Lead, run_loop
from posecoach.run.render import Drawing, ScreenState, Snapshots, Timing
from posecoach.run.stream import landmark_stream

SESSION_VERSION = 1
SETUP_STEADY_S = 1.0  # the set-up must hold this long before the countdown starts
MESSAGE_S = 3.0  # a prompt in the middle of the picture stays this long
SIDES = ("left", "right")
_SETUP_OK = (Status.IN_POSITION, Status.NOT_IN_POSITION)


class StepPhase(enum.Enum):
    INTRO = "intro"  # the stretch's name and how to do it
    SETUP = "setup"  # waiting for the camera to see the body as the stretch needs
    COUNTDOWN = "countdown"
    WORK = "work"  # reps or holds, counted
    REST = "rest"
    DONE = "done"


class Speaker(Protocol):
    """What a guided session needs of a voice (`posecoach.output.speech.Voice`)."""

    def say(self, text: str) -> None: ...

    def announce(self, assessment: Assessment) -> None: ...


@dataclass
class StretchRun:
    """One step of the routine as it went: its report, signals and best and worst moments
    (from the start of its counted work), and how it ended."""

    step: Step
    number: int  # 1-based place in the routine
    status: str = "not reached"  # "done", "skipped", "stopped" or "not reached"
    report: SessionReport | None = None
    signals: SignalTable | None = None
    snapshots: Snapshots | None = None
    started_ms: float | None = None  # when its counted work began

    def summary(self) -> GuidedStretch:
        step = self.step
        return GuidedStretch(
            step=self.number,
            pose=step.pose.id,
            pose_name=step.pose.name,
            status=self.status,
            planned=PlannedStretch(
                reps=step.reps,
                hold_s=step.hold_s,
                sides=SIDES if step.per_side else None,
                order=step.sides if step.per_side else None,
            ),
            report=None if self.report is None else self.report.summary(),
        )


@dataclass(frozen=True)
class Moment:
    """What the guide decided for one frame: the assessment to draw (under `pose`), a
    message across the picture, whether the frame counts toward the stretch, and any words
    to say now."""

    assessment: Assessment
    pose: PoseSpec
    message: str | None
    counting: bool
    say: str | None
    run: StretchRun | None


@dataclass
class _Said:
    text: str
    until_ms: float


@dataclass
class Guide:
    """The routine's state machine, fed each analysed frame in order (`feed`)."""

    routine: Routine
    source: str
    model: str
    # With a voice, how fast it speaks: a phase with words to say lasts until they are said.
    words_per_minute: float | None = None
    muted: bool = False  # form cues off (the m key), for every stretch's coach
    skipped_frames: int = 0  # frames of a damaged video that could not be decoded
    failure: str | None = None
    runs: list[StretchRun] = field(init=False)
    timeline: list[TimelineEntry] = field(default_factory=list)
    phase: StepPhase = StepPhase.INTRO
    index: int = 0
    ended_by: str = "routine complete"
    _phase_ms: float | None = None
    _first_ms: float | None = None
    _last_ms: float | None = None
    _coach: Coach | None = None
    _steady_ms: float | None = None
    _note: _Said | None = None
    _units: dict[str, int] = field(default_factory=dict)
    _pending_say: str | None = None
    _phase_s: float = 0.0  # the least time the phase lasts

    def __post_init__(self) -> None:
        self.runs = [StretchRun(step, i + 1) for i, step in enumerate(self.routine.steps)]

    # -- What the user can ask for ---------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.phase is StepPhase.DONE

    @property
    def step(self) -> Step:
        return self.routine.steps[min(self.index, len(self.routine.steps) - 1)]

    def skip(self) -> None:
        """On to the next stretch now (this one is marked skipped); during a rest, the rest
        ends."""
        if self.done:
            return
        now = 0.0 if self._last_ms is None else self._last_ms
        if self.phase is StepPhase.REST:
            self._log("skip", "Rest skipped", now)
            self._enter(StepPhase.INTRO, now)
            return
        run = self.runs[self.index]
        run.status = "skipped"
        if run.report is not None:
            run.report.ended_by, run.report.complete = "skipped", False
        self._log("skip", f"Skipped: {self.step.pose.name}", now)
        self._next_step(rest=False)

    def repeat(self) -> None:
        """This stretch again, from its introduction (what it counted so far is dropped);
        during a rest, the stretch just finished."""
        if self.done:
            return
        if self.phase is StepPhase.REST:
            self.index -= 1
            self._coach = None
        self.runs[self.index] = StretchRun(self.step, self.index + 1)
        self._log("repeat", f"Again: {self.step.pose.name}")
        self._enter(StepPhase.INTRO, 0.0 if self._last_ms is None else self._last_ms)

    def mute(self, muted: bool) -> None:
        """Form cues off or on, for this stretch's coach and every later one."""
        self.muted = muted
        if self._coach is not None:
            self._coach.muted = muted

    def stop(self, reason: str) -> None:
        """The session ends here (the stretch under way is marked stopped)."""
        if not self.done:
            run = self.runs[self.index]
            if run.status == "not reached" and run.report is not None:
                run.status = "stopped"
                run.report.ended_by, run.report.complete = reason, False
            self.ended_by = reason
            self.phase = StepPhase.DONE

    @property
    def complete(self) -> bool:
        """Every stretch of the routine was done, from every frame of the input, and all
        of it saved."""
        done = all(run.status == "done" for run in self.runs)
        return done and not self.skipped_frames and self.failure is None

    def fail(self, reason: str) -> None:
        """Something went wrong after the fact (the video could not be finished)."""
        self.failure = reason
        self.ended_by = reason

    # -- Frame by frame --------------------------------------------------------------------

    def feed(self, landmarks: Landmarks | None, timestamp_ms: float, index: int) -> Moment:
        if self._first_ms is None:
            self._first_ms = timestamp_ms
            self._enter(StepPhase.INTRO, timestamp_ms)
        self._last_ms = timestamp_ms
        step = self.step
        coach = self._coach_for(step)
        assessment = coach.update(landmarks, timestamp_ms, index)
        run = self.runs[self.index]
        counting = self.phase is StepPhase.WORK
        if counting:
            assert run.report is not None and run.signals is not None
            run.report.add(assessment)
            run.signals.add(assessment)
            self._follow_work(assessment, timestamp_ms)
        else:
            self._advance(assessment, timestamp_ms)
        message = self._message(timestamp_ms)
        say, self._pending_say = self._pending_say, None
        return Moment(assessment, step.pose, message, counting, say, run if counting else None)

    def _coach_for(self, step: Step) -> Coach:
        if self._coach is None or self._coach.pose.id != step.pose.id:
            self._new_coach(step)
        assert self._coach is not None
        return self._coach

    def _new_coach(self, step: Step) -> None:
        self._coach = Coach(step.coached_pose)
        self._coach.muted = self.muted

    def _speech_s(self, text: str) -> float:
        """How long saying `text` takes (0 without a voice)."""
        if not self.words_per_minute:
            return 0.0
        return len(text.split()) * 60 / self.words_per_minute + 0.5

    def _advance(self, assessment: Assessment, now: float) -> None:
        """Intro, set-up, countdown and rest: move on when their time is up or the set-up
        has been right for a second."""
        assert self._phase_ms is not None
        elapsed_s = (now - self._phase_ms) / 1000
        if self.phase is StepPhase.INTRO and elapsed_s >= self._phase_s:
            self._enter(StepPhase.SETUP, now)
        elif self.phase is StepPhase.SETUP:
            if assessment.status in _SETUP_OK:
                self._steady_ms = now if self._steady_ms is None else self._steady_ms
                steady_s = (now - self._steady_ms) / 1000
                if steady_s >= SETUP_STEADY_S and elapsed_s >= self._phase_s:
                    self._enter(StepPhase.COUNTDOWN, now)
            else:
                self._steady_ms = None
        elif self.phase is StepPhase.COUNTDOWN:
            if elapsed_s >= self._phase_s:
                self._start_work(now)
        elif self.phase is StepPhase.REST:
            rest_s = self.runs[self.index - 1].step.rest_s if self.index > 0 else 0.0
            if elapsed_s >= rest_s:
                self._enter(StepPhase.INTRO, now)

    def _start_work(self, now: float) -> None:
        step, run = self.step, self.runs[self.index]
        self._new_coach(step)  # counts from zero, from here
        pose = step.coached_pose
        run.report = SessionReport(pose=pose, source=self.source, model=self.model)
        run.signals = SignalTable(pose, self.source)
        run.snapshots = Snapshots()
        run.started_ms = now
        self._units = {}
        first = "Go: start on either side" if step.per_side else "Go"
        self._enter(StepPhase.WORK, now, first)

    def _follow_work(self, assessment: Assessment, now: float) -> None:
        """Count the units (reps, or holds of hold_s) per side; prompt side switches; end
        the stretch when every side has its share."""
        step = self.step
        sides = SIDES if step.per_side else ("all",)
        units = {side: self._units_done(assessment, side) for side in sides}
        for side in sides:
            before = self._units.get(side, 0)
            if units[side] > before:
                self._unit_done(side, units, now)
        self._units = units
        if all(units[side] >= step.reps for side in sides):
            run = self.runs[self.index]
            run.status = "done"
            if run.report is not None:
                run.report.ended_by = "done"
            self._log("stretch_done", f"{step.pose.name}: done", now)
            self._next_step(rest=True)

    def _units_done(self, assessment: Assessment, side: str) -> int:
        totals = assessment.totals.get(side)
        if totals is None:
            return 0
        step = self.step
        if step.pose.mode is Mode.REPS or step.hold_s is None:
            return totals.reps
        return int(totals.hold_s / step.hold_s + 1e-6)

    def _unit_done(self, side: str, units: dict[str, int], now: float) -> None:
        step = self.step
        holds = step.hold_s is not None and step.pose.mode is Mode.HOLD
        if units[side] > step.reps:
            return
        if side == "all":
            if holds and units[side] < step.reps:
                self._say(f"Good: {units[side]} of {step.reps}. Release, then again", now)
            return
        other = "right" if side == "left" else "left"
        other_left = units[other] < step.reps
        side_left = units[side] < step.reps
        if other_left and (step.sides == "alternate" or not side_left):
            self._say(f"Switch sides: now your {other} side", now)
        elif side_left and holds:
            self._say(f"Good: {units[side]} of {step.reps}. Release, then again", now)

    def _next_step(self, rest: bool) -> None:
        now = 0.0 if self._last_ms is None else self._last_ms
        self.index += 1
        self._coach = None
        if self.index >= len(self.routine.steps):
            self.index = len(self.routine.steps) - 1
            skipped = sum(run.status == "skipped" for run in self.runs)
            if skipped:
                self.ended_by = f"routine finished, {skipped} skipped"
                self._log("routine_done", f"{self.routine.name}: finished", now)
                self._pending_say = f"{self.routine.name} finished."
            else:
                self._log("routine_done", f"{self.routine.name}: complete", now)
                self._pending_say = f"{self.routine.name} complete. Well done."
            self.phase = StepPhase.DONE
            return
        previous = self.routine.steps[self.index - 1]
        if rest and previous.rest_s > 0:
            self._enter(StepPhase.REST, now)
        else:
            self._enter(StepPhase.INTRO, now)

    # -- Messages --------------------------------------------------------------------------

    def _enter(self, phase: StepPhase, now: float, text: str | None = None) -> None:
        """Start `phase`: log it and say what it says. A phase with words lasts at least as
        long as they take to say, so the next phase's words do not cut them off."""
        self.phase = phase
        self._phase_ms = now
        self._steady_ms = None
        step = self.step
        if phase is StepPhase.INTRO:
            total = len(self.routine.steps)
            text = f"{self.index + 1}/{total} {step.pose.name}: {step.amount_text}"
            self._log("intro", text, now)
            self._pending_say = f"{step.pose.name}, {step.amount_text}. {step.howto}"
            self._phase_s = max(self.routine.intro_s, self._speech_s(self._pending_say))
        elif phase is StepPhase.SETUP:
            text = _setup_text(step.pose)
            self._log("setup", text, now)
            self._pending_say = text
            self._phase_s = self._speech_s(text)
        elif phase is StepPhase.COUNTDOWN:
            count = ", ".join(str(n) for n in range(math.ceil(self.routine.countdown_s), 0, -1))
            self._log("countdown", "Get into position", now)
            self._pending_say = f"Get into position: {count}" if count else None
            speech_s = self._speech_s(self._pending_say) if self._pending_say else 0.0
            self._phase_s = max(self.routine.countdown_s, speech_s)
        elif phase is StepPhase.WORK:
            self._say(text or "Go", now, kind="start")
        elif phase is StepPhase.REST:
            rest_s = self.routine.steps[self.index - 1].rest_s
            text = f"Rest {rest_s:g} s. Next: {step.pose.name}"
            self._log("rest", text, now)
            self._pending_say = text

    def _say(self, text: str, now: float, kind: str = "prompt") -> None:
        """A prompt shown across the picture for a few seconds, and spoken."""
        self._note = _Said(text, now + MESSAGE_S * 1000)
        self._pending_say = text
        self._log(kind, text, now)

    def _message(self, now: float) -> str | None:
        assert self._phase_ms is not None
        elapsed_s = (now - self._phase_ms) / 1000
        step = self.step
        if self.phase is StepPhase.INTRO:
            total = len(self.routine.steps)
            return f"{self.index + 1}/{total} {step.pose.name}: {step.amount_text}\n{step.howto}"
        if self.phase is StepPhase.SETUP:
            return _setup_text(step.pose)
        if self.phase is StepPhase.COUNTDOWN:
            left = max(math.ceil(self._phase_s - elapsed_s), 1)
            return f"Get into position: {left}"
        if self.phase is StepPhase.REST:
            rest_s = self.routine.steps[self.index - 1].rest_s
            left = max(math.ceil(rest_s - elapsed_s), 1)
            return f"Rest {left} s. Next: {step.pose.name}"
        if self.phase is StepPhase.DONE:
            return f"{self.routine.name} complete"
        if self._note is not None and now < self._note.until_ms:
            return self._note.text
        return None

    def _log(self, kind: str, text: str, now: float | None = None) -> None:
        at = now if now is not None else self._last_ms
        at = 0.0 if at is None else at
        first = at if self._first_ms is None else self._first_ms
        t_s = round((at - first) / 1000, 2)
        self.timeline.append(TimelineEntry(t_s, kind, self.index + 1, text))

    # -- The result ------------------------------------------------------------------------

    def summary(self, started_at: str) -> GuidedSummary:
        duration = 0.0
        if self._first_ms is not None and self._last_ms is not None:
            duration = round((self._last_ms - self._first_ms) / 1000, 2)
        return GuidedSummary(
            kind="session",
            session_version=SESSION_VERSION,
            routine=self.routine.id,
            routine_name=self.routine.name,
            routine_file=str(self.routine.path),
            started_at=started_at,
            source=self.source,
            model=self.model,
            duration_s=duration,
            skipped_frames=self.skipped_frames,
            complete=self.complete,
            ended_by=self.ended_by,
            stretches=tuple(run.summary() for run in self.runs),
            timeline=tuple(self.timeline),
        )


def _setup_text(pose: PoseSpec) -> str:
    if pose.view is View.FRONT:
        return "Face the camera, your whole body in the picture"
    return "Side-on to the camera, your whole body in the picture"


# -- Running a session over a source -----------------------------------------------------------


@dataclass(frozen=True)
class GuidedOutputs:
    report_path: Path
    video_path: Path | None = None
    window_title: str | None = None
    mirror: bool = False
    screen: ScreenState | None = None  # the developer overlay and the target pictures


@dataclass
class GuidedResult:
    summary: GuidedSummary  # what the session came to: its `to_dict()` is the JSON written
    runs: list[StretchRun]
    interrupted: KeyboardInterrupt | None


class _Routine(Lead[Moment, GuidedSummary]):
    """A guide leading its routine, its session's JSON written to `report_path`."""

    report_name = "session report"
    pause_text = "Paused (space: resume, n: next stretch, r: again, q: quit)"
    pause_keys = (Key.QUIT, Key.SKIP, Key.REPEAT)

    def __init__(
        self,
        source: FrameSource,
        estimator: PoseEstimator | None,
        guide: Guide,
        report_path: Path,
        voice: Speaker | None,
        started_at: str,
    ) -> None:
        self.source, self.estimator, self.guide = source, estimator, guide
        self.report_path = report_path
        self.voice = voice
        self.started_at = started_at

    @contextlib.contextmanager
    def frames(
        self, stop: StopRequest, idle: Callable[[], None] | None
    ) -> Iterator[Iterator[tuple[Frame, Moment]]]:
        with landmark_stream(
            self.source, self.estimator, threads=True, stop=stop, idle=idle
        ) as found:
            yield (self._feed(frame, landmarks, stop) for frame, landmarks in found)

    def _feed(
        self, frame: Frame, landmarks: Landmarks | None, stop: StopRequest
    ) -> tuple[Frame, Moment]:
        stop.check()  # before the guide counts the frame: a stopped session's last is left out
        return frame, self.guide.feed(landmarks, frame.timestamp_ms, frame.index)

    def drawing(self, frame: Frame, moment: Moment) -> Drawing:
        run = moment.run
        snapshot_t = None
        if run is not None and run.started_ms is not None:
            snapshot_t = (frame.timestamp_ms - run.started_ms) / 1000
        return Drawing(
            frame,
            moment.assessment,
            moment.pose,
            None,
            moment.message,
            snapshot_t,
            None if run is None else run.snapshots,
        )

    def drawn(self, moment: Moment) -> bool:
        if self.voice is not None:
            if moment.say:
                self.voice.say(moment.say)
            elif moment.counting:
                self.voice.announce(moment.assessment)
        return self.guide.done

    def key(self, key: Key) -> bool:
        guide, voice = self.guide, self.voice
        if key is Key.SKIP:
            guide.skip()
        elif key is Key.REPEAT:
            guide.repeat()
        elif key is Key.MUTE:
            guide.mute(not guide.muted)
        elif key is Key.VOICE and voice is not None and hasattr(voice, "muted"):
            voice.muted = not voice.muted
        elif key is Key.QUIT:
            guide.stop("stopped by the user")
            return True
        return False

    def ended(self) -> None:
        if not self.guide.done:
            self.guide.stop("end of input")

    def stop(self, reason: str) -> None:
        self.guide.stop(reason)

    def fail(self, reason: str) -> None:
        self.guide.fail(reason)

    def report(self, source: FrameSource, timing: Timing) -> GuidedSummary:
        self.guide.skipped_frames = source.skipped
        return self.guide.summary(self.started_at)


def run_guided(
    source: FrameSource,
    estimator: PoseEstimator | None,
    guide: Guide,
    outputs: GuidedOutputs,
    voice: Speaker | None = None,
) -> GuidedResult:
    """Lead `guide`'s routine over `source` until it is done, the user quits, or the input
    ends. However it ends, the session's JSON is written (atomically) and the video
    finalised before this returns or re-raises."""
    started_at = datetime.now().astimezone().isoformat(timespec="seconds")
    lead = _Routine(source, estimator, guide, outputs.report_path, voice, started_at)
    end = run_loop(
        source,
        lead,
        outputs.video_path,
        source.fps,
        outputs.window_title,
        outputs.mirror,
        outputs.screen,
    )
    return GuidedResult(end.report, guide.runs, end.interrupted)


def session_stem(routine: Routine, now: float | None = None) -> str:
    """`session_<routine>_<date>-<time>`: the default name of a session's files."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"session_{routine.id}_{stamp}"
