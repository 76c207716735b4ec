"""Stage 7, the frame loop that joins the stages (`loop`): reading, estimating, drawing,
keys and saving, driving one stretch from one source (`pipeline`) or a guided routine
(`session`); the drawing thread, window and snapshots (`render`), the threaded landmark stream
(`stream`), Ctrl-C and termination handling (`interrupts`), and the `record` command's
preview loop (`record`).
"""
