"""Preprocessing: crop/pad, resampling, intensity scaling, label maps to channels."""
import numpy as np
import pytest

from sdnet.data import DataError
from sdnet.data.preprocess import check_label_values, clip_and_scale, crop_or_pad, labels_to_channels, resample_slices


def test_crop_keeps_ceil_half_on_the_left_and_pad_puts_floor_half():
    a = np.arange(7)[None, :, None, None] * np.ones((1, 7, 7, 1))
    cropped = crop_or_pad(a, 4)
    assert cropped[0, :, 0, 0].tolist() == [2, 3, 4, 5]          # diff 3: ceil(1.5) = 2 off the left
    padded = crop_or_pad(np.arange(3)[None, :, None, None] * np.ones((1, 3, 3, 1)), 6)
    assert padded[0, :, 0, 0].tolist() == [0, 0, 1, 2, 2, 2]      # diff 3: 1 left, 2 right, edge values


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
