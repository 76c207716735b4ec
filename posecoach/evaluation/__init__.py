"""Measuring the coach against truth: `posecoach eval` over generated clips and labelled
footage (`evaluate`), threshold fitting (`fit`) and the interactive tuner (`tune`).
"""
