"""Preprocessing: crop/pad, resampling, intensity scaling, label maps to channels."""
import numpy as np
import pytest

from sdnet.data import DataError
from sdnet.data.preprocess import check_label_values, clip_and_scale, crop_or_pad, labels_to_channels, resample_slices


@pytest.mark.parametrize("n, size, expected", [
    (7, 4, [2, 3, 4, 4]),        # odd excess 3: keep [2, 5), edge-pad one at the end (the original)
    (8, 4, [2, 3, 4, 5]),        # even excess 4: keep [2, 6)
    (3, 6, [0, 0, 1, 2, 2, 2]),  # pad 3: one before, two after, edge values
])
def test_crop_and_pad_as_the_originals_crop_same(n, size, expected):
    a = np.arange(n)[None, :, None, None] * np.ones((1, n, n, 1))
    out = crop_or_pad(a, size)
    assert out.shape == (1, size, size, 1)
    assert out[0, :, 0, 0].tolist() == expected and out[0, 0, :, 0].tolist() == [expected[0]] * size


def test_crop_of_225_and_227_pixels_to_224():
    for n in (225, 227):
        a = np.arange(n, dtype=float)[None, :, None, None] * np.ones((1, n, 3, 1))
        rows = crop_or_pad(a, 224, axes=(1,))[0, :, 0, 0]
        cut = (n - 224 + 1) // 2
        assert rows[0] == cut and rows[-2] == n - cut - 1 and rows[-1] == rows[-2]    # last row repeated


def test_resampling_halves_a_2mm_grid_to_4mm_and_keeps_labels():
    labels = np.zeros((8, 8, 2))
    labels[2:6, 2:6] = 3
    out = resample_slices(labels, (2.0, 2.0), 4.0, order=0)
    assert out.shape == (4, 4, 2) and set(np.unique(out)) == {0, 3}


def test_clip_and_scale_maps_percentiles_to_minus_one_and_one():
    v = np.random.default_rng(0).normal(size=(20, 20, 3))
    out = clip_and_scale(v)
    assert out.min() == -1 and out.max() == 1


def test_labels_to_channels_orders_myo_lv_rv_and_drops_other_labels():
    channels = labels_to_channels(np.array([[0, 1, 2, 3, 4]], np.uint8), (2, 3, 1))
    assert channels.dtype == np.float32
    assert channels[0].tolist() == [[0, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_labels_to_channels_in_chunks_equals_all_at_once(rng):
    labels = rng.integers(0, 4, (5, 6, 7)).astype(np.uint8)
    np.testing.assert_array_equal(labels_to_channels(labels, (1, 2, 3), chunk=2),
                                  np.stack([labels == v for v in (1, 2, 3)], -1))


def test_unknown_label_values_are_named():
    check_label_values(np.array([0, 1, 2, 3]), (1, 2, 3))
    with pytest.raises(DataError, match=r"m.nii: label values \[7\] are not in the expected set \[0, 1, 2, 3\]"):
        check_label_values(np.array([0, 7, 2]), (1, 2, 3), source="m.nii")


@pytest.mark.parametrize("n", [5, 7, 8, 9, 12])
def test_uncrop_puts_every_kept_pixel_back_in_place(n):
    from sdnet.data.preprocess import uncrop

    a = np.arange(n * n, dtype=float).reshape(1, n, n, 1) + 1
    back = uncrop(crop_or_pad(a, 8), (n, n), fill=0.0)
    assert back.shape == a.shape
    kept = back != 0
    np.testing.assert_array_equal(back[kept], a[kept])             # never a pixel from elsewhere
    if n > 8:
        cut = -(-(n - 8) // 2)                                     # ceil: the original's crop
        assert kept.sum() == (n - 2 * cut) ** 2
    else:
        np.testing.assert_array_equal(back, a)                     # padding is simply removed
