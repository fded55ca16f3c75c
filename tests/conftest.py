"""Shared fixtures: a tiny configuration and a small phantom in the ACDC layout."""
import os

# XLA's CPU code generation at its lowest optimisation level: the tests' programs are tiny, and
# on a 2-core CPU compiling them, not running them, is what takes the time (JAX's random
# initialisers compile once per weight shape: 2-8 s each at the default level, 0.5 s at this one).
# XLA reads it when its first program compiles; the subprocesses that tests start inherit it.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()

import numpy as np
import pytest

from sdnet.config import get_preset


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


@pytest.fixture
def batch(rng):
    """Two 32 x 32 images and masks with a MYO strip and an LV square."""
    x = rng.uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    m = np.zeros((2, 32, 32, 3), "float32")
    m[:, 8:20, 8:20, 1] = 1
    m[:, 6:22, 6:8, 0] = 1
    return x, m
