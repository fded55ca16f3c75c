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


@pytest.fixture
def batch(rng):
    """Two 32 x 32 images and masks with a MYO strip and an LV square."""
    x = rng.uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    m = np.zeros((2, 32, 32, 3), "float32")
    m[:, 8:20, 8:20, 1] = 1
    m[:, 6:22, 6:8, 0] = 1
    return x, m


def weights_by_network(model):
    import keras

    if model.discriminator is not None:
        model.discriminator.trainable = True
    return {name: [keras.ops.convert_to_numpy(v).copy() for v in net.weights]
            for name, net in model.networks.items()}


def changed(before, after):
    """Names of the networks whose weights differ."""
    return {n for n in before if any(not np.array_equal(a, b) for a, b in zip(before[n], after[n]))}


def flat_pairs_folder(phantom_root, folder, subjects):
    """The labelled frames of phantom patients 1..`subjects` copied into one flat folder of
    <name>.nii.gz / <name>_gt.nii.gz pairs (the layout of a user's own data)."""
    import shutil

    os.makedirs(folder)
    for p in [f"patient{i:03d}" for i in range(1, subjects + 1)]:
        for f in os.listdir(os.path.join(phantom_root, p)):
            if "frame" in f:
                shutil.copy(os.path.join(phantom_root, p, f), os.path.join(folder, f))
    return str(folder)
