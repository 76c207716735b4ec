"""Stage 10, the `posecoach` command: `main` (the entry point and the command table),
`parser`, a module per command (`live`, `replay`, `record`, `synth`, `evalset`, `demo`,
`evaluate` for `eval`, `history`, `session`, `tune`, `poses`), the window menu that starts
`live` and `session` without an id (`menu`), the one-source coaching service
(`coach_one`), replay over many files (`batch`, with `batch_jobs`, `batch_worker` and
`batch_display`), and what the commands share (`common`, `exitcodes`, `argtypes`,
`signal_handlers`).
"""
