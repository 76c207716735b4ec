"""`posecoach record`'s loop: estimate every frame of a source into a landmark recording,
showing the skeleton in a window when there is one."""

from __future__ import annotations

from posecoach.inputs.sources import FrameSource
from posecoach.model.recording import RecordingEstimator
from posecoach.output.overlay import skeleton_preview
from posecoach.output.sinks import Key, WindowSink


def record_source(
    source: FrameSource,
    recorder: RecordingEstimator,
    window_title: str | None = None,
    mirror: bool = False,
) -> KeyboardInterrupt | None:
    """Estimate and record every frame of `source` until it ends, q is pressed in the window
    (when there is one: the frames with the skeleton, `mirror`ed for a camera), Ctrl-C or
    SIGTERM (`errors.Terminated`).

    The Ctrl-C or SIGTERM that stopped it, if one did. The source and window are closed
    however it ends (a source that fails part-way raises after its frames are recorded), and
    every frame estimated is in the recording; the caller closes `recorder`.
    """
    window: WindowSink | None = None
    try:
        if window_title is not None:
            window = WindowSink(window_title)
        for frame in source:
            landmarks = recorder.estimate(frame)
            if window is not None:
                found = "person found" if landmarks is not None else "nobody found"
                text = f"Recording: {recorder.writer.frames} frames, {found} (q: stop)"
                shown = skeleton_preview(frame.image, landmarks, text, mirror=mirror)
                if window.show(shown) is Key.QUIT:
                    break
    except KeyboardInterrupt as interrupt:
        return interrupt
    finally:
        try:
            if window is not None:
                window.close()
        finally:
            source.close()
    return None
