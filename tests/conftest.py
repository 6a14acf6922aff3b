"""Shared test configuration: the Hypothesis profile of the whole suite.

asgiws's pytest plugin registers the ``ci`` profile (derandomized, quick, no
example database) and ``nightly`` (long). The suite runs under ``ci`` unless
``HYPOTHESIS_PROFILE`` names another, so that it gives the same answer on
every run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
