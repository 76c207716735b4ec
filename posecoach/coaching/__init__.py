"""Stage 4, judging: body roles from the landmarks (`body`, `geometry`), which joints to
trust and how to smooth them (`trust`, `smoothing`, `stillness`), the camera set-up and view
checks (`setup_check`), the rule kinds (`rules`), pose files, routines and threshold overrides
(`posefile`, `routine`, `overrides`), holds and reps over time (`temporal`), and the `Coach`
(`coach`) that turns each frame into an assessment (`assessment`).
"""
