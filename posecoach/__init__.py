"""posecoach: a camera-based coach for psoas and hip-flexor stretches.

The package follows the pipeline, one folder per stage, each importing only from the stages
before it (`tools/check_structure.py` checks it):

1. `config/`: the coach's defaults and every pose-file number's valid range, the errors each
   stage raises, where the shipped files are.
2. `inputs/`: frames in (a video, a photo, a folder of photos, a camera) behind one
   `FrameSource`; files written whole or not at all.
3. `model/`: BlazePose on LiteRT finds the body's 33 `Landmarks` in each frame; a landmark
   recording replays them without the model.
4. `coaching/`: trust and smoothing of the landmarks, body roles, the rules of a pose file,
   holds and reps over time, the `Coach` that assesses each frame.
5. `output/`: the overlay, the window and annotated video, the spoken cues, the stretches'
   reference pictures.
6. `reports/`: the session report, per-frame signals, the HTML report, the history.
7. `run/`: the frame loop that joins the stages, for one stretch or a guided routine.
8. `synth/`: the synthetic performer, which renders stretches and look-alikes with truth.
9. `evaluation/`: the coach measured against truth (`posecoach eval`), fitting and tuning
   thresholds.
10. `cli/`: the `posecoach` command.
"""

__version__ = "0.1.0"
