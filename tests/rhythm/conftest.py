"""Fixtures of the rhythm tests."""

from __future__ import annotations

import numpy as np
import pytest
from rhythm_synthetic import af_rr, beats_from_rr, sinus_rr


@pytest.fixture
def sinus_af_sinus(rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """400 sinus beats, 600 AF beats, 400 sinus beats: (beat samples, AF start sample, AF end sample)."""
    rr = np.r_[sinus_rr(rng, 400), af_rr(rng, 600), sinus_rr(rng, 400)]
    beats = beats_from_rr(rr)
    return beats, int(beats[400]), int(beats[1000])
