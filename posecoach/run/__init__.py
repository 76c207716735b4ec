"""The frame loop that joins the stages: one stretch from one source (`pipeline`), a guided
routine (`session`), and Ctrl-C and termination handling (`interrupts`).
"""
