"""The demo simulator: a seeded, realistic B2B world to run every capability on.

>>> from pathlib import Path
>>> from leadloop.simulate import SimConfig, generate
>>> summary = generate(Path("/tmp/world"), SimConfig.preset("demo", seed=7))  # doctest: +SKIP

Same config, same bytes. Pure generation: no database, no CLI; see ``generate.py``.
"""

from leadloop.simulate.config import SIZES, SimConfig
from leadloop.simulate.generate import FILES, SimSummary, generate
from leadloop.simulate.timeline import ProgressFn

__all__ = ["FILES", "SIZES", "ProgressFn", "SimConfig", "SimSummary", "generate"]
