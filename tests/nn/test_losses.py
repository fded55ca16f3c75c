import numpy as np
import pytest
from keras import ops

from sdnet.nn.losses import dice_loss, model_output


def numpy_dice_loss(y, p):
    p = p[..., : y.shape[-1]]
    inter = (y * p).sum(axis=(1, 2, 3))
    union = y.sum(axis=(1, 2, 3)) + p.sum(axis=(1, 2, 3)) + 0.1
    return 1 - np.mean(2 * (inter + 0.1) / union)


def test_dice_loss_matches_the_original_formula():
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=(3, 8, 8, 3)) > 0.6).astype("float32")
    p = rng.uniform(size=(3, 8, 8, 4)).astype("float32")
    assert float(ops.convert_to_numpy(dice_loss(y, p))) == pytest.approx(numpy_dice_loss(y, p), rel=1e-5)


def test_dice_loss_when_mask_and_prediction_are_both_empty():
    # the original's doubled smoothing gives 2 * 0.1 / 0.1 = 2 on empty slices, a loss of -1
    y = np.zeros((2, 4, 4, 3), "float32")
    assert float(ops.convert_to_numpy(dice_loss(y, y))) == pytest.approx(-1.0)
    half = np.concatenate([y[:1], np.ones((1, 4, 4, 3), "float32")])
    assert float(ops.convert_to_numpy(dice_loss(half, half))) == pytest.approx(numpy_dice_loss(half, half))


def test_model_output_loss_is_the_output():
    kl = np.array([[2.0], [4.0]], "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(model_output(np.zeros_like(kl), kl)), [2.0, 4.0])
