"""Spoken cues: a local text-to-speech engine says each new prompt, offline.

The engine is a command found on PATH (`espeak-ng`, `espeak`, macOS `say`, Windows SAPI
through PowerShell), or the command template in POSECOACH_VOICE. Each text is spoken by a
run of that command in a thread of the voice's own, so the coaching loop never waits for
speech. At most one text waits: a newer one replaces it, since a cue that has gone stale
while another was spoken is worse than none.

Nothing here stops a session: without an engine, or when the engine fails (no sound
device, say), the voice says so once through `notify` and stays silent.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from posecoach.coaching.coach import Assessment

log = logging.getLogger(__name__)

VOICE_ENV = "POSECOACH_VOICE"  # a command template; "off" keeps the voice silent
TEXT_FIELD = "{text}"  # where a template's text goes; without it, the text goes to stdin
DEFAULT_RATE_WPM = 165  # a little slower than espeak-ng's 175: heard mid-stretch, not read
MAX_SPEAKING_S = 20.0  # an engine still on one short cue after this is stuck

SCREEN_ONLY = "cues are shown on screen only"
NO_ENGINE_NOTICE = (
    "no text-to-speech engine found (install espeak-ng: sudo apt install espeak-ng; "
    f"on macOS `say` is built in): {SCREEN_ONLY}"
)

_SAPI_SCRIPT = (
    "Add-Type -AssemblyName System.Speech; "
    "(New-Object System.Speech.Synthesis.SpeechSynthesizer).Speak([Console]::In.ReadToEnd())"
)


@dataclass(frozen=True)
class Engine:
    """A text-to-speech command. `argv` has TEXT_FIELD in the arguments the text goes in; an
    `argv` without it is given the text on its standard input."""

    name: str
    argv: tuple[str, ...]

    @property
    def reads_stdin(self) -> bool:
        return not any(TEXT_FIELD in arg for arg in self.argv)

    def command(self, text: str) -> list[str]:
        """The command that speaks `text` (never through a shell: the text is one argument)."""
        return [arg.replace(TEXT_FIELD, text) for arg in self.argv]


def find_engine(
    rate_wpm: int = DEFAULT_RATE_WPM,
    voice: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> Engine | None:
    """The first text-to-speech engine on PATH, set to speak at `rate_wpm` words a minute in
    `voice` (an engine's own voice name, e.g. "en-us" for espeak-ng; None: its default)."""
    chosen = ["-v", voice] if voice else []
    for program in ("espeak-ng", "espeak"):
        if which(program):
            return Engine(program, (program, "-s", str(rate_wpm), *chosen))
    if sys.platform == "darwin" and which("say"):
        return Engine("say", ("say", "-r", str(rate_wpm), *chosen))
    if sys.platform == "win32":
        powershell = which("powershell") or which("pwsh")
        if powershell:
            argv = (powershell, "-NoProfile", "-NonInteractive", "-Command", _SAPI_SCRIPT)
            return Engine("Windows speech (SAPI)", argv)
    return None


def engine_from_template(template: str) -> Engine:
    """The engine a POSECOACH_VOICE template names, e.g. "espeak-ng -v en-us -s 170 {text}".

    Raises ValueError, saying what is wrong, for a template that is empty, unbalanced in its
    quotes, or whose program is not found.
    """
    try:
        argv = shlex.split(template, posix=os.name == "posix")
    except ValueError as error:
        raise ValueError(f"{VOICE_ENV}={template!r} cannot be read: {error}") from None
    if not argv:
        raise ValueError(f"{VOICE_ENV} is set but empty")
    if shutil.which(argv[0]) is None:
        raise ValueError(f"{VOICE_ENV} names {argv[0]!r}, which is not found")
    return Engine(os.path.basename(argv[0]), tuple(argv))


_OPEN: weakref.WeakSet[Voice] = weakref.WeakSet()  # voices with a thread, not closed yet


@atexit.register
def _close_open_voices() -> None:
    """No engine is left speaking after posecoach exits, even when a voice was not closed."""
    for voice in list(_OPEN):
        voice.close()


class Voice:
    """Speaks short texts through `engine` in a background thread, without blocking.

    `say` queues a text: it replaces any text still waiting (the one being spoken goes on).
    While `muted`, texts are dropped and muting stops what is being spoken. With no engine
    (None) the voice is silent and, the first time it is not muted, notifies
    `unavailable`; an engine that fails is reported once and not run again. `close` stops
    the thread and any engine still speaking. `notify` gets each one-line message.
    """

    def __init__(
        self,
        engine: Engine | None,
        *,
        muted: bool = False,
        notify: Callable[[str], None] = log.warning,
        unavailable: str | None = NO_ENGINE_NOTICE,
    ) -> None:
        self.engine = engine
        self._notify = notify
        self._unavailable = unavailable  # notified once, when the voice is first unmuted
        self._changed = threading.Condition()
        self._pending: str | None = None
        self._speaking = False
        self._process: subprocess.Popen[bytes] | None = None
        self._interrupted = False  # the engine was stopped on purpose: not a failure
        self._failed = False
        self._closing = False
        self._muted = muted
        self.spoken = 0  # texts the engine finished speaking
        self.dropped = 0  # texts replaced by a newer one, or stopped by muting, before done
        self._thread: threading.Thread | None = None
        if engine is not None:
            self._thread = threading.Thread(target=self._run, name="posecoach-voice", daemon=True)
            self._thread.start()
            _OPEN.add(self)
        if not muted:
            self._tell_unavailable()

    @property
    def available(self) -> bool:
        """Whether texts can be spoken: there is an engine and it has not failed."""
        return self.engine is not None and not self._failed

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, muted: bool) -> None:
        with self._changed:
            self._muted = muted
            if muted:
                self._drop_pending()
                self._stop_speaking()
        if not muted:
            self._tell_unavailable()

    def say(self, text: str) -> None:
        """Speak `text` as soon as the engine is free, unless a newer text comes first."""
        with self._changed:
            if self._muted or self._closing or not self.available or not text.strip():
                return
            self._drop_pending()
            self._pending = text
            self._changed.notify_all()

    def announce(self, assessment: Assessment) -> None:
        """Speak the coach's prompt on the frame it first appears: the screen's cue policy
        (a set-up prompt, or a form cue or praise unless the coach is muted)."""
        if assessment.prompt_is_new and assessment.prompt:
            self.say(assessment.prompt)

    def wait_until_quiet(self, timeout_s: float | None = None) -> bool:
        """Wait until nothing is being spoken or waiting; False if `timeout_s` ran out."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._pending is None and not self._speaking, timeout_s
            )

    def close(self, finish_s: float = 0.0) -> None:
        """Stop the thread, and the engine if it is still speaking after `finish_s` seconds.
        Safe to call twice."""
        if finish_s > 0:
            self.wait_until_quiet(finish_s)
        with self._changed:
            self._closing = True
            self._drop_pending()
            self._stop_speaking()
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        _OPEN.discard(self)

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- In the voice's thread -------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending is not None or self._closing)
                if self._closing:
                    return
                text, self._pending = self._pending, None
                self._speaking = True
            try:
                if text is not None:
                    self._speak(text)
            finally:
                with self._changed:
                    self._speaking = False
                    self._changed.notify_all()

    def _speak(self, text: str) -> None:
        assert self.engine is not None
        engine = self.engine
        try:
            process = subprocess.Popen(
                engine.command(text),
                stdin=subprocess.PIPE if engine.reads_stdin else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                # A group of its own: close() stops a pipeline's every process, and Ctrl-C
                # in the terminal reaches posecoach, which stops the engine itself.
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            self._fail(f"cannot run {engine.name}: {error.strerror or error}")
            return
        with self._changed:
            self._process, self._interrupted = process, False
            if self._closing or self._muted:
                self._stop_speaking()
        stdin = text.encode("utf-8") if engine.reads_stdin else None
        try:
            _, errors = process.communicate(stdin, timeout=MAX_SPEAKING_S)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.communicate()
            self._fail(f"{engine.name} was still speaking one cue after {MAX_SPEAKING_S:.0f} s")
            return
        finally:
            with self._changed:
                self._process = None
        with self._changed:
            if self._interrupted:
                self.dropped += 1
                return
        problem = _engine_problem(process.returncode, errors.decode("utf-8", "replace"))
        if problem is not None:
            self._fail(f"{engine.name} could not speak ({problem})")
            return
        self.spoken += 1

    def _fail(self, message: str) -> None:
        with self._changed:
            if self._failed or self._closing:
                return
            self._failed = True
            self._drop_pending()
        self._notify(f"{message}: {SCREEN_ONLY}")

    # --- Under the lock ----------------------------------------------------------------------

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending = None
            self.dropped += 1

    def _stop_speaking(self) -> None:
        if self._process is not None:
            self._interrupted = True
            _kill(self._process)

    def _tell_unavailable(self) -> None:
        if self.engine is None and self._unavailable:
            message, self._unavailable = self._unavailable, None
            self._notify(message)


def _engine_problem(returncode: int, errors: str) -> str | None:
    """What went wrong in an engine's run, or None. espeak-ng without a sound device exits
    with 0 but writes its audio library's complaints and "error: ..." to stderr."""
    lines = [line.strip() for line in errors.splitlines() if line.strip()]
    if returncode == 0 and not any("error" in line.lower() for line in lines):
        return None
    detail = lines[-1] if lines else f"exit code {returncode}"
    if "alsa" in errors.lower() or "audio" in errors.lower() or "pulse" in errors.lower():
        detail += "; is there a sound device?"
    return detail


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop an engine and whatever it started (its process group, on POSIX)."""
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def open_voice(
    *,
    muted: bool = False,
    rate_wpm: int = DEFAULT_RATE_WPM,
    voice: str | None = None,
    notify: Callable[[str], None] = log.warning,
    environ: Mapping[str, str] | None = None,
) -> Voice:
    """The voice for a session: POSECOACH_VOICE's command if set ("off": silent, without a
    notice), else the first engine found on PATH at `rate_wpm` in `voice`. Without one the
    voice is silent and says so once through `notify`, when it is first unmuted."""
    template = (os.environ if environ is None else environ).get(VOICE_ENV)
    if template is not None and template.strip().lower() == "off":
        return Voice(None, muted=muted, notify=notify, unavailable=None)
    if template is not None:
        try:
            engine = engine_from_template(template)
        except ValueError as error:
            return Voice(None, muted=muted, notify=notify, unavailable=f"{error}: {SCREEN_ONLY}")
        return Voice(engine, muted=muted, notify=notify)
    return Voice(find_engine(rate_wpm, voice), muted=muted, notify=notify)
