"""Calibrated synthetic crime extracts for demos, tests and benchmarks.

The default extract reproduces the stalking figures of the West Yorkshire report that the
project calibrates to; see :mod:`stalking_profile.synth.calibration` for every target.
"""

from __future__ import annotations

from stalking_profile.synth.generator import calibrated_size, generate, write_extract

__all__ = ["calibrated_size", "generate", "write_extract"]
