"""A source's frames with the landmarks found in them: read, and run through the model, in
threads of their own (`landmark_stream`), each a few frames ahead of the next (`_Prefetch`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from posecoach.inputs.sources import Frame, FrameSource
from posecoach.model.estimator import PoseEstimator
from posecoach.model.landmarks import Landmarks
from posecoach.model.recording import RecordedFrame
from posecoach.run.interrupts import StopRequest

T = TypeVar("T")


@contextlib.contextmanager
def landmark_stream(
    source: FrameSource,
    estimator: PoseEstimator | None,
    stride: int = 1,
    threads: bool = False,
    stop: StopRequest | None = None,
    idle: Callable[[], None] | None = None,
) -> Iterator[Iterator[tuple[Frame, Landmarks | None]]]:
    """Every `stride`th frame of `source` with the landmarks found in it, or recorded with it
    (a recording's frames need no model: `estimator` may then be None).

    With `threads`, the work is a pipeline: a file's frames are decoded a few ahead in one
    thread, the model runs in another, each on the frame after the other's, and both stop
    when the block ends. A camera (`source.realtime`) keeps its newest frame for the model:
    it is never more than one frame ahead of the reader. `stop` is checked while waiting for
    the threads; `idle` is called every few milliseconds while the reader waits for the model
    (a window's drawing is shown then)."""
    stages: list[_Prefetch[Any]] = []
    check = stop.check if stop is not None else None
    try:
        frames: Iterator[Frame] = source.frames(stride)
        if threads and not source.realtime:
            stages.append(_Prefetch(frames, depth=4, name="posecoach-decode", on_wait=check))
            frames = stages[-1]
        found: Iterator[tuple[Frame, Landmarks | None]] = _landmarks(frames, estimator, source.name)
        if threads:
            depth = 1 if source.realtime else 2
            waiting = check
            if idle is not None:

                def waiting() -> None:
                    if check is not None:
                        check()
                    idle()

            stages.append(
                _Prefetch(
                    found,
                    depth=depth,
                    name="posecoach-model",
                    on_wait=waiting,
                    wait_s=0.005 if idle is not None else 0.1,
                )
            )
            found = stages[-1]
        yield found
    finally:
        for stage in reversed(stages):  # the model stops before the frames it reads do
            stage.close()


def _landmarks(
    frames: Iterable[Frame], estimator: PoseEstimator | None, name: str
) -> Iterator[tuple[Frame, Landmarks | None]]:
    """Each frame with the landmarks found in it (or recorded with it)."""
    for frame in frames:
        if isinstance(frame, RecordedFrame):
            yield frame, frame.landmarks
        elif estimator is not None:
            yield frame, estimator.estimate(frame)
        else:
            raise ValueError(f"{name} gives images, not landmarks: give an estimator")


class _Prefetch(Generic[T]):
    """Iterates `items` in a thread, up to `depth` items ahead of the reader. Whatever ends
    them (an error, Ctrl-C in a test's stand-in) is raised to the reader after the items
    before it."""

    _END = object()

    def __init__(
        self,
        items: Iterator[T],
        depth: int,
        name: str,
        on_wait: Callable[[], None] | None = None,
        wait_s: float = 0.1,
    ) -> None:
        self._items = items
        self._on_wait = on_wait  # called every wait_s while the reader waits (may raise)
        self._wait_s = wait_s
        self._queue: queue.Queue[Any] = queue.Queue(depth)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
        except BaseException as error:  # raised to the reader in its turn
            self._put(_Raised(error))
            return
        self._put(self._END)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        while True:
            try:
                item = self._queue.get(timeout=self._wait_s)
                break
            except queue.Empty:
                if self._stopping.is_set():
                    raise StopIteration from None
                if self._on_wait is not None:
                    self._on_wait()
        if item is self._END:
            self._queue.put(item)  # a second call ends too
            raise StopIteration
        if isinstance(item, _Raised):
            raise item.error
        return cast(T, item)

    def close(self) -> None:
        """Stop working ahead and wait for the thread (what it reads may then be closed)."""
        self._stopping.set()
        self._thread.join(timeout=10.0)


@dataclass(frozen=True)
class _Raised:
    error: BaseException
