"""The loader on the real ACDC training set in ../shared/data/ACDC (skipped where it is absent)."""
import os

import numpy as np
import pytest

from helpers import ACDC_ROOT

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.isdir(ACDC_ROOT),
                                 reason=f"real ACDC data not found at {os.path.abspath(ACDC_ROOT)}")]


@pytest.fixture(scope="module")
def acdc(tmp_path_factory):
    from sdnet.data.acdc import ACDCLoader

    return ACDCLoader(ACDC_ROOT, cache_dir=os.environ.get("SDNET_CACHE") or str(tmp_path_factory.mktemp("acdc")))


def test_real_acdc_preprocessing(acdc):
    data = acdc.load_labelled_data(0, "all")
    assert len(data.frames()) == 200 and data.num_subjects == 100
    assert data.images.shape == (1902, 224, 224, 1)
    assert data.images.min() == -1 and data.images.max() == 1
    assert set(np.unique(data.masks)) == {0.0, 1.0}
    assert data.masks.sum(-1).max() == 1
    assert not acdc.has_cine


@pytest.mark.parametrize("split", [0, 1, 2])
def test_real_acdc_split_sizes(acdc, split):
    counts = [acdc.load_labelled_data(split, t).num_subjects for t in ("training", "validation", "test")]
    assert counts == [70, 15, 15]
