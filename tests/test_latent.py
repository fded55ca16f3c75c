"""Latent arithmetic (Section 5.5): channel finding, channel edits, z sweeps and their summary
images, and both figures, on constructed factors (no training)."""
import numpy as np
import pytest

from sdnet.data.dataset import Data
from sdnet.latent import (SWEEP_VALUES, correlation_image, difference_image, rearrangements,
                          structure_channels, swept_codes)
from sdnet.reporting.latent_figures import latent_arithmetic_report


def discs(n=6, size=16):
    """Masks (MYO ring, LV disc, RV blob) and an anatomy factor holding LV in channel 5, MYO in
    channel 2, RV in channel 0 and the background in channel 7."""
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - size / 2, xx - size / 2)
    lv, myo = r < 3, (r >= 3) & (r < 5)
    rv = (np.abs(yy - size / 2) < 3) & (xx < 3)
    masks = np.repeat(np.stack([myo, lv, rv], -1)[None].astype("float32"), n, 0)
    anatomy = np.zeros((n, size, size, 8), "float32")
    anatomy[..., 5], anatomy[..., 2], anatomy[..., 0] = masks[..., 1], masks[..., 0], masks[..., 2]
    anatomy[..., 7] = 1 - masks.sum(-1)
    return masks, anatomy


def test_each_structure_gets_the_channel_built_to_overlap_it():
    masks, anatomy = discs()
    assert structure_channels(anatomy, masks, ("MYO", "LV", "RV")) == {"MYO": 2, "LV": 5, "RV": 0}
    with pytest.raises(ValueError, match="2 anatomy channels cannot hold 3 structures"):
        structure_channels(anatomy[..., :2], masks, ("MYO", "LV", "RV"))


def test_channel_edits_move_swap_and_permute(rng):
    masks, anatomy = discs(2)
    edits = rearrangements(anatomy, source=2, target=5, rng=rng)
    np.testing.assert_array_equal(edits["moved"][..., 5], np.clip(anatomy[..., 5] + anatomy[..., 2], 0, 1))
    assert not edits["moved"][..., 2].any()
    np.testing.assert_array_equal(edits["swapped"][..., [2, 5]], anatomy[..., [5, 2]])
    assert sorted(edits["permutation"]) == list(range(8)) and edits["permutation"].tolist() != list(range(8))
    np.testing.assert_array_equal(edits["permuted"], anatomy[..., edits["permutation"]])


def test_sweep_codes_change_one_dimension_per_row():
    z = np.arange(1, 5, dtype="float32")
    codes = swept_codes(z)
    assert codes.shape == (4, 7, 4)
    for i in range(4):
        np.testing.assert_array_equal(codes[i, :, i], SWEEP_VALUES)
        np.testing.assert_array_equal(np.delete(codes[i], i, axis=1), np.repeat(np.delete(z, i)[None], 7, 0))


def test_correlation_and_difference_images_lie_in_minus_one_to_one(rng):
    values = SWEEP_VALUES
    images = np.tanh(values[:, None, None] * rng.normal(size=(1, 8, 8)) + rng.normal(size=(7, 8, 8)))
    rho, delta = correlation_image(values, images), difference_image(images)
    assert rho.shape == delta.shape == (8, 8)
    assert np.all(np.abs(rho) <= 1) and np.all(np.abs(delta) <= 1)
    linear = np.stack([np.full((2, 2), v / 3) for v in values])
    np.testing.assert_allclose(correlation_image(values, linear), 1.0)
    np.testing.assert_allclose(correlation_image(values, -linear), -1.0)
    np.testing.assert_allclose(difference_image(linear), 1.0)            # (1 - (-1)) / 2: the full range
    assert not correlation_image(values, np.ones((7, 2, 2))).any()        # a pixel that never changes


class StubSDNet:
    """A decoder that reads s and the first two z dimensions only, as numpy."""

    def __init__(self, anatomy):
        self._anatomy = anatomy

    def anatomy(self, images):
        return self._anatomy[: len(images)]

    def posterior_mean(self, images):
        return np.zeros((len(images), 4), "float32")

    def decode(self, anatomy, z):
        brightness = np.tanh(z[:, 0] / 3)[:, None, None] * anatomy[..., 5] + 0.1 * z[:, 1, None, None]
        return np.clip(brightness - anatomy[..., 7], -1, 1)[..., None]


def test_both_figures_are_written_and_an_ignored_dimension_changes_nothing(tmp_path):
    masks, anatomy = discs()
    data = Data(np.zeros(masks.shape[:-1] + (1,), "float32"), masks, np.repeat([1, 2, 3], 2))
    lines = latent_arithmetic_report(StubSDNet(anatomy), data, ("MYO", "LV", "RV"), str(tmp_path))
    assert (tmp_path / "fig7_anatomy_arithmetic.png").stat().st_size > 0
    assert (tmp_path / "fig8_z_sweeps.png").stat().st_size > 0
    text = "\n".join(lines)
    assert "| MYO | s2 | 1.00 |" in text and "| LV | s5 | 1.00 |" in text
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| z")}
    assert rows["| z3"].endswith("| 0.00 | 0.000 |") and rows["| z4"].endswith("| 0.00 | 0.000 |")
    assert not rows["| z1"].endswith("| 0.00 | 0.000 |")
