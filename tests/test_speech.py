"""Spoken cues: the voice says the prompts the screen shows, through a stand-in engine (a shell
script on PATH, or named by POSECOACH_VOICE, that writes down what it was given), and through
the real espeak-ng where it is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from posecoach.cli import coach_one
from posecoach.cli.main import EXIT_OK, main
from posecoach.coaching.coach import Assessment, Coach
from posecoach.coaching.posefile import load_pose
from posecoach.inputs.sources import FrameSource
from posecoach.model.landmarks import Landmarks
from posecoach.model.recording import RecordedFrame, RecordingSource, RecordingWriter
from posecoach.output import speech
from posecoach.output.sinks import Key
from posecoach.output.speech import (
    NO_ENGINE_NOTICE,
    VOICE_ENV,
    Engine,
    Voice,
    find_engine,
    open_voice,
)
from posecoach.run import loop
from posecoach.run.pipeline import Outputs, run_session

from builders import RESOLUTION, half_kneeling
from conftest import REPO
from fakes import video_frames, write_video

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the stand-in engines are sh scripts")

KNEEL = "half_kneeling_hip_flexor"
FPS = 15.0
CHEST_UP = "Chest up, don't lean forward"
PRAISE = "Good: that's it"
STEP_IN = "Step into view"
QUIET_S = 10.0  # ample time for a stand-in engine to finish


@pytest.fixture(autouse=True)
def no_voice_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tester's own POSECOACH_VOICE stays out of the tests."""
    monkeypatch.delenv(VOICE_ENV, raising=False)


# --- Stand-in engines ---------------------------------------------------------------------


class StandIn:
    """A shell script acting as a text-to-speech engine: it reads the text from stdin (or,
    `from_argument`, takes it as its first argument) and writes it, a line a run, to `log`."""

    def __init__(
        self, folder: Path, body: str, name: str = "espeak-ng", from_argument: bool = False
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "spoken.txt"
        self.started = folder / "started.txt"
        self.gate = folder / "gate"  # a gated engine waits for this file before it finishes
        self.pids = folder / "pids.txt"
        self.path = folder / name
        self.path.write_text(
            "#!/bin/sh\n"
            + ('text="$1"\n' if from_argument else "text=$(cat)\n")
            + body.format(log=self.log, started=self.started, gate=self.gate, pids=self.pids)
        )
        self.path.chmod(0o755)

    def spoken(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def started_texts(self) -> list[str]:
        return self.started.read_text().splitlines() if self.started.exists() else []


SPEAKS = 'printf "%s\\n" "$text" >> {log}\n'
GATED = 'printf "%s\\n" "$text" >> {started}\nwhile [ ! -e {gate} ]; do sleep 0.01; done\n' + SPEAKS
# Like espeak-ng without a sound device: complaints on stderr, yet exit status 0.
NO_SOUND_DEVICE = (
    "echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2\n"
    "echo 'error: No such file or directory' >&2\n" + SPEAKS
)
EXITS_3 = SPEAKS + "exit 3\n"
# Speaks for a minute, through a child process, as a pipeline to an audio player would.
SPEAKS_LONG = "sleep 60 &\necho $! > {pids}\necho $$ >> {pids}\nwait\n"


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], StandIn]:
    """Put a stand-in `espeak-ng` first on PATH."""

    def install(body: str) -> StandIn:
        engine = StandIn(tmp_path / "bin", body)
        monkeypatch.setenv("PATH", f"{engine.path.parent}{os.pathsep}{os.environ['PATH']}")
        return engine

    return install


def wait_for(condition: Callable[[], bool], timeout_s: float = QUIET_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


# --- A scripted session: upright, leaning forward, upright again, then gone ----------------


def scripted_session() -> list[Landmarks | None]:
    """Kneeling upright for 2 s, leaning 30 deg for 3 s (the coach cues "Chest up"), upright
    for 3 s (praise), then nobody for 3 s ("Step into view")."""
    frames: list[Landmarks | None] = []
    for i in range(int(11 * FPS)):
        t_ms = i * 1000 / FPS
        if t_ms >= 8000:
            frames.append(None)
        else:
            lean = 30.0 if 2000 <= t_ms < 5000 else 0.0
            frames.append(half_kneeling(torso_lean_deg=lean, timestamp_ms=t_ms, frame_index=i))
    return frames


class ScriptedSource(FrameSource):
    """The scripted session as recorded frames: no model runs."""

    name = "a scripted session"
    fps = FPS

    def __init__(self, landmarks: list[Landmarks | None]) -> None:
        self.landmarks = landmarks
        self.canvas = np.zeros((90, 160, 3), np.uint8)

    def __iter__(self):
        for i, found in enumerate(self.landmarks):
            yield RecordedFrame(self.canvas, i * 1000 / FPS, i, found)

    def __len__(self) -> int:
        return len(self.landmarks)


def write_recording(path: Path) -> Path:
    with RecordingWriter(path, model="scripted", source="a scripted session", fps=FPS) as writer:
        for i, found in enumerate(scripted_session()):
            writer.write(found, i * 1000 / FPS, i, RESOLUTION)
    return path


def shown_prompts(coach: Coach) -> list[str]:
    """The prompts the screen shows over the scripted session, as each first appears."""
    prompts = []
    for i, found in enumerate(scripted_session()):
        assessment = coach.update(found, i * 1000 / FPS, i)
        if assessment.prompt_is_new and assessment.prompt:
            prompts.append(assessment.prompt)
    return prompts


def test_the_scripted_session_shows_a_cue_praise_and_a_set_up_prompt():
    assert shown_prompts(Coach(load_pose(KNEEL))) == [CHEST_UP, PRAISE, STEP_IN]


def paced(voice: Voice) -> Callable[[Assessment], None]:
    """An on_frame that waits for the voice after each new prompt, so no cue goes stale."""

    def on_frame(assessment: Assessment) -> None:
        if assessment.prompt_is_new:
            assert voice.wait_until_quiet(QUIET_S)

    return on_frame


# --- The voice in the coaching loop -------------------------------------------------------


@pytest.mark.parametrize("muted", [False, True])
def test_the_voice_speaks_the_prompts_the_screen_shows_in_order(on_path, muted):
    engine = on_path(SPEAKS)
    coach = Coach(load_pose(KNEEL))
    coach.muted = muted  # --mute or m: no form cues or praise, on screen or aloud
    with open_voice() as voice:
        outputs = Outputs(voice=voice, on_frame=paced(voice))
        result = run_session(ScriptedSource(scripted_session()), None, coach, outputs, "scripted")
        assert voice.wait_until_quiet(QUIET_S)
    shown = [cue.text for cue in result.report.cues]
    assert shown == ([STEP_IN] if muted else [CHEST_UP, PRAISE, STEP_IN])
    assert engine.spoken() == shown
    assert voice.spoken == len(shown) and voice.dropped == 0


class KeyWindow:
    """A window that presses keys: `presses` maps a session time (ms) to the key pressed on
    the first frame shown at or after it."""

    latest_ms: ClassVar[float] = 0.0
    presses: ClassVar[dict[float, Key]] = {}

    def __init__(self, title: str) -> None:
        self.pending = dict(sorted(self.presses.items()))

    def size(self) -> tuple[int, int]:
        return (640, 360)

    def show(self, image: np.ndarray, wait_ms: int = 1) -> Key:
        return self.poll(wait_ms)

    def poll(self, wait_ms: int = 1) -> Key:
        for at_ms, key in self.pending.items():
            if self.latest_ms >= at_ms:
                del self.pending[at_ms]
                return key
        return Key.NONE

    def close(self) -> None:
        pass


def test_v_in_the_window_turns_the_voice_off_and_on(on_path, monkeypatch):
    engine = on_path(SPEAKS)
    # v after "Chest up" (2.5 s), again before "Step into view" (8 s): the praise (5 s) is
    # shown but not said.
    monkeypatch.setattr(KeyWindow, "presses", {4000.0: Key.VOICE, 7000.0: Key.VOICE})
    monkeypatch.setattr(KeyWindow, "latest_ms", 0.0)
    monkeypatch.setattr(loop, "WindowSink", KeyWindow)
    with open_voice() as voice:
        pace = paced(voice)

        def on_frame(assessment: Assessment) -> None:
            pace(assessment)
            KeyWindow.latest_ms = assessment.timestamp_ms

        outputs = Outputs(window_title="test", voice=voice, on_frame=on_frame)
        coach = Coach(load_pose(KNEEL))
        result = run_session(ScriptedSource(scripted_session()), None, coach, outputs, "scripted")
        assert voice.wait_until_quiet(QUIET_S)
        assert not voice.muted
    assert [cue.text for cue in result.report.cues] == [CHEST_UP, PRAISE, STEP_IN]
    assert engine.spoken() == [CHEST_UP, STEP_IN]


# --- The voice on its own -------------------------------------------------------------------


def test_a_newer_cue_replaces_one_still_waiting(on_path):
    engine = on_path(GATED)
    notices: list[str] = []
    with open_voice(notify=notices.append) as voice:
        voice.say("first")
        wait_for(lambda: engine.started_texts() == ["first"])
        for text in ("second", "third", "fourth"):  # said while "first" is being spoken
            voice.say(text)
        engine.gate.touch()
        assert voice.wait_until_quiet(QUIET_S)
    assert engine.spoken() == ["first", "fourth"]
    assert voice.spoken == 2 and voice.dropped == 2
    assert notices == []


def test_say_does_not_wait_for_the_engine(on_path):
    engine = on_path(GATED)
    with open_voice() as voice:
        started = time.perf_counter()
        for i in range(50):
            voice.say(f"cue {i}")
        assert time.perf_counter() - started < 0.5
        engine.gate.touch()
        assert voice.wait_until_quiet(QUIET_S)
    spoken = engine.spoken()
    assert spoken[-1] == "cue 49" and len(spoken) <= 2  # the first, maybe, and the newest


def test_a_muted_voice_says_nothing_and_muting_stops_the_cue_being_spoken(on_path):
    engine = on_path(SPEAKS_LONG)
    notices: list[str] = []
    with open_voice(muted=True, notify=notices.append) as voice:
        voice.say("not said")
        assert voice.wait_until_quiet(QUIET_S)
        assert not engine.pids.exists()  # the engine never ran
        voice.muted = False
        voice.say("cut short")
        wait_for(lambda: engine.pids.exists() and len(engine.pids.read_text().split()) == 2)
        pids = [int(pid) for pid in engine.pids.read_text().split()]
        voice.muted = True
        assert voice.wait_until_quiet(QUIET_S)
        wait_for(lambda: not any(alive(pid) for pid in pids))
        assert voice.dropped == 1 and voice.spoken == 0
    assert notices == []  # stopped on purpose: not a failure


def test_close_leaves_no_engine_process_running(on_path):
    engine = on_path(SPEAKS_LONG)
    voice = open_voice()
    voice.say(CHEST_UP)
    wait_for(lambda: engine.pids.exists() and len(engine.pids.read_text().split()) == 2)
    pids = [int(pid) for pid in engine.pids.read_text().split()]  # sleep, and the script
    assert all(alive(pid) for pid in pids)
    started = time.perf_counter()
    voice.close()
    assert time.perf_counter() - started < 3.0
    wait_for(lambda: not any(alive(pid) for pid in pids), timeout_s=3.0)
    voice.say("after close")  # ignored
    voice.close()  # twice is fine


def test_without_an_engine_the_voice_says_so_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng, espeak, say or powershell
    notices: list[str] = []
    voice = open_voice(notify=notices.append)
    assert voice.engine is None and not voice.available
    for text in (CHEST_UP, PRAISE, STEP_IN):
        voice.say(text)
    voice.muted = True
    voice.muted = False
    voice.close()
    assert notices == [NO_ENGINE_NOTICE]
    assert "sudo apt install espeak-ng" in NO_ENGINE_NOTICE


def test_a_voice_off_from_the_start_tells_of_no_engine_only_when_turned_on(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    notices: list[str] = []
    voice = open_voice(muted=True, notify=notices.append)  # live --no-voice
    assert notices == []
    voice.muted = False  # v in the window
    voice.muted = True
    voice.muted = False
    assert notices == [NO_ENGINE_NOTICE]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (NO_SOUND_DEVICE, "error: No such file or directory; is there a sound device?"),
        (EXITS_3, "exit code 3"),
    ],
)
def test_a_failing_engine_is_reported_once_then_left_alone(on_path, body, reason):
    engine = on_path(body)
    notices: list[str] = []
    with open_voice(notify=notices.append) as voice:
        for text in (CHEST_UP, PRAISE, STEP_IN):
            voice.say(text)
            assert voice.wait_until_quiet(QUIET_S)
        assert not voice.available
    assert engine.spoken() == [CHEST_UP]  # run once, then not again
    assert notices == [f"espeak-ng could not speak ({reason}): cues are shown on screen only"]


# --- Choosing the engine ---------------------------------------------------------------------


def test_the_engine_is_espeak_ng_then_espeak_found_on_path():
    def which(*found: str) -> Callable[[str], str | None]:
        return lambda program: f"/usr/bin/{program}" if program in found else None

    assert find_engine(which=which("espeak-ng", "espeak")) == Engine(
        "espeak-ng", ("espeak-ng", "-s", "165")
    )
    engine = find_engine(rate_wpm=200, voice="en-gb", which=which("espeak"))
    assert engine == Engine("espeak", ("espeak", "-s", "200", "-v", "en-gb"))
    assert engine.reads_stdin and engine.command("Hi") == ["espeak", "-s", "200", "-v", "en-gb"]
    if sys.platform not in ("darwin", "win32"):
        assert find_engine(which=which("say", "powershell")) is None


def test_posecoach_voice_names_a_command_the_text_goes_into(tmp_path, monkeypatch):
    engine = StandIn(tmp_path / "bin", SPEAKS, name="my-tts", from_argument=True)
    monkeypatch.setenv(VOICE_ENV, f"{engine.path} {{text}}")
    with open_voice() as voice:
        assert voice.engine is not None and not voice.engine.reads_stdin
        voice.say("Text with 'quotes' and $HOME; not run by a shell")
        assert voice.wait_until_quiet(QUIET_S)
    assert engine.spoken() == ["Text with 'quotes' and $HOME; not run by a shell"]


@pytest.mark.parametrize(
    ("setting", "notice"),
    [
        ("off", None),
        ("", "POSECOACH_VOICE is set but empty: cues are shown on screen only"),
        (
            "no-such-tts -v en {text}",
            "POSECOACH_VOICE names 'no-such-tts', which is not found: cues are shown on "
            "screen only",
        ),
    ],
)
def test_posecoach_voice_off_or_unusable_leaves_the_voice_silent(monkeypatch, setting, notice):
    monkeypatch.setenv(VOICE_ENV, setting)
    notices: list[str] = []
    with open_voice(notify=notices.append) as voice:
        voice.say(CHEST_UP)
        assert voice.engine is None
    assert notices == ([] if notice is None else [notice])


# --- The real espeak-ng ---------------------------------------------------------------------


def wav_speech(path: Path) -> tuple[float, float]:
    """A WAV file's duration in seconds and the share of its 20 ms windows that are not
    silent."""
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        rate = audio.getframerate()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2").astype(float)
    window = int(rate * 0.02)
    windows = samples[: len(samples) // window * window].reshape(-1, window)
    loud = np.sqrt((windows**2).mean(axis=1)) > 300  # of 32,767
    return len(samples) / rate, float(loud.mean())


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)
def test_espeak_ng_says_a_cue_as_the_voice_runs_it(tmp_path):
    durations = {}
    for rate_wpm in (165, 330):
        engine = find_engine(rate_wpm=rate_wpm)
        assert engine is not None and engine.name == "espeak-ng"
        wav = tmp_path / f"cue_{rate_wpm}.wav"
        # The voice's own command, writing to a file instead of the sound device.
        subprocess.run(
            [*engine.command(CHEST_UP), "-w", str(wav)],
            input=CHEST_UP.encode(),
            check=True,
            timeout=30,
            capture_output=True,
        )
        durations[rate_wpm], loud = wav_speech(wav)
        assert loud > 0.5  # speech, not silence
    # Five words at 165 words a minute, with the pause at the comma: about 2 s.
    assert 1.2 < durations[165] < 3.5
    assert durations[330] == pytest.approx(durations[165] / 2, rel=0.35)


# --- From the command line ------------------------------------------------------------------


class ListeningVoice(Voice):
    """A voice that notes, at once, what it is asked to say while not muted."""

    def __init__(self, muted: bool) -> None:
        super().__init__(None, muted=muted, unavailable=None)
        self.said: list[str] = []
        self.closed = False

    def say(self, text: str) -> None:
        if not self.muted:
            self.said.append(text)

    def close(self, finish_s: float = 0.0) -> None:
        self.closed = True


@pytest.fixture
def voices(monkeypatch: pytest.MonkeyPatch) -> list[ListeningVoice]:
    """The voices the command line opens, as ListeningVoices."""
    opened: list[ListeningVoice] = []

    def listening_voice(*, muted: bool = False, **settings: object) -> Voice:
        opened.append(ListeningVoice(muted))
        return opened[-1]

    monkeypatch.setattr(speech, "open_voice", listening_voice)
    return opened


@pytest.mark.parametrize("flag", [None, "--voice"])
def test_replay_speaks_only_with_voice(tmp_path, voices, flag):
    recording = write_recording(tmp_path / "session.pcrec")
    report = tmp_path / "session.json"
    argv = ["replay", str(recording), "--pose", KNEEL, "--no-window", "--report", str(report)]
    argv += ["--out", str(tmp_path / "session.mp4"), *([flag] if flag else [])]
    assert main(argv) == EXIT_OK
    shown = [cue["text"] for cue in json.loads(report.read_text())["cues"]]
    assert shown == [CHEST_UP, PRAISE, STEP_IN]
    if flag is None:
        assert voices == []  # a replay runs faster than real time: it would babble
    else:
        [voice] = voices
        assert voice.said == shown and voice.closed


@pytest.mark.parametrize("flag", [None, "--no-voice"])
def test_live_speaks_unless_no_voice(tmp_path, voices, monkeypatch, flag):
    recording = write_recording(tmp_path / "session.pcrec")
    monkeypatch.setattr(coach_one, "camera", lambda args: RecordingSource(recording))  # no model
    report = tmp_path / "live.json"
    argv = ["live", "--pose", KNEEL, "--no-window", "--report", str(report)]
    assert main([*argv, *([flag] if flag else [])]) == EXIT_OK
    shown = [cue["text"] for cue in json.loads(report.read_text())["cues"]]
    [voice] = voices  # with --no-voice too: off, v in the window turns it on
    assert voice.muted is (flag is not None) and voice.closed
    assert voice.said == ([] if flag else shown)


def test_live_without_an_engine_runs_silently_and_says_so_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    recording = write_recording(tmp_path / "session.pcrec")
    monkeypatch.setattr(coach_one, "camera", lambda args: RecordingSource(recording))
    report = tmp_path / "live.json"
    assert main(["live", "--pose", KNEEL, "--no-window", "--report", str(report)]) == EXIT_OK
    err = capsys.readouterr().err
    assert err.count("text-to-speech") == 1
    assert f"posecoach: {NO_ENGINE_NOTICE}" in err.splitlines()


@pytest.mark.model
def test_live_from_a_camera_says_the_torso_cue(tmp_path, monkeypatch):
    """The real model on a clip of kneeling with the torso leaning forward, played as the
    camera: the cue on screen is said."""
    engine = StandIn(tmp_path / "bin", SPEAKS, name="tts", from_argument=True)
    monkeypatch.setenv(VOICE_ENV, f"{engine.path} {{text}}")
    frames = video_frames(str(REPO / "samples" / "half_kneeling_torso_lean.mp4"))
    clip = write_video(tmp_path / "lean.mp4", frames[90:215], fps=25)  # kneeling down, leaning
    report = tmp_path / "live.json"
    argv = ["live", "--pose", KNEEL, "--camera-video", str(clip), "--no-window"]
    assert main([*argv, "--report", str(report), "--out", str(tmp_path / "live.mp4")]) == EXIT_OK
    shown = [cue["text"] for cue in json.loads(report.read_text())["cues"]]
    assert CHEST_UP in shown
    # Cues come at least 2 s apart and the stand-in takes milliseconds: each is said.
    assert engine.spoken() == shown
