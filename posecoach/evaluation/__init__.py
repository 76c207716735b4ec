"""Stage 9, measuring the coach against truth: `posecoach eval` over generated clips and labelled
footage (`evaluate`, which gathers `pairs`, `metrics`, `labels`, `jobs`, `runner` and
`summary`), threshold fitting (`fit`) and the interactive tuner (`tune`).
"""
