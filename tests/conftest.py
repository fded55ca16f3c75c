"""Shared fixtures: a tiny configuration and a small phantom in the ACDC layout."""
import os

import numpy as np
import pytest

from sdnet.config import get_preset

ACDC_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "ACDC", "training")


@pytest.fixture
def tiny_cfg():
    return get_preset("tiny")


@pytest.fixture(scope="session")
def phantom_root(tmp_path_factory):
    """100 subjects (the ACDC splits need patients 1-100), small and quick to preprocess."""
    from sdnet.data.phantom import write_acdc

    return write_acdc(str(tmp_path_factory.mktemp("phantom") / "training"), subjects=100, seed=3,
                      size=40, spacing=7.7, slices=3, phases=4)


@pytest.fixture(scope="session")
def phantom_loader(phantom_root, tmp_path_factory):
    from sdnet.data.acdc import ACDCLoader

    return ACDCLoader(phantom_root, image_size=32, spacing_mm=9.59,
                      cache_dir=str(tmp_path_factory.mktemp("cache")), workers=1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
