"""Stage 6, what is kept: the session report as it is collected (`report`) and its typed
summary, the JSON every later reader reads (`summary`), the per-frame signals and their plot
(`signals`), the HTML report (`htmlreport`) and the history across sessions (`history`).
"""
