"""The closed-form gradient of the Dice loss with respect to the logits agrees with finite
differences of the loss itself, on slices with and without a structure."""
import numpy as np

from sdnet.nn.losses import SMOOTH
from sdnet.reporting.gradients import dice_logit_gradient_norms


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def batch_loss(masks, logits):      # sdnet.nn.losses.dice_loss, in float64 numpy
    p = softmax(logits)[..., :masks.shape[-1]]
    intersection = (masks * p).sum(axis=(1, 2, 3))
    union = masks.sum(axis=(1, 2, 3)) + p.sum(axis=(1, 2, 3)) + SMOOTH
    return 1.0 - np.mean(2.0 * (intersection + SMOOTH) / union)


def test_closed_form_matches_finite_differences():
    rng = np.random.default_rng(0)
    masks = np.zeros((3, 4, 4, 2))
    masks[0, 1:3, 1:3, 0] = 1
    masks[1, 0, :, 1] = 1                    # slice 2 holds no structure
    logits = rng.normal(size=(3, 4, 4, 3)) + np.array([0, 0, 3.0])     # mostly background
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[index] = 1e-6
        numeric[index] = (batch_loss(masks, logits + step) - batch_loss(masks, logits - step)) / 2e-6
    expected = np.sqrt((numeric ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(dice_logit_gradient_norms(masks, softmax(logits), batch_size=3), expected, rtol=1e-5)
