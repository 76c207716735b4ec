"""Stage 5, what is kept: the session report (`report`), the per-frame signals and their
plot (`signals`), the HTML report (`htmlreport`) and the history across sessions
(`history`).
"""
