"""Losses of the original costs.py, as Keras 3 loss functions (backend-neutral).

Each returns one value per sample except the Dice loss, which (like the original) averages over
the batch itself; Keras then averages per-sample values, so both reduce to the batch mean.
"""
import keras
from keras import ops

SMOOTH = 0.1


@keras.saving.register_keras_serializable(package="sdnet")
def dice_loss(y_true, y_pred):
    """1 - mean_batch 2 (sum(y p) + 0.1) / (sum(y) + sum(p) + 0.1), sums over H, W and the L channels.

    The smoothing term is doubled in the numerator, as in the original make_dice_loss_fnc:
    a slice where mask and prediction are both empty has loss 1 - 2 = -1.
    """
    y_pred = y_pred[..., : ops.shape(y_true)[-1]]
    intersection = ops.sum(y_true * y_pred, axis=(1, 2, 3))
    union = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3)) + SMOOTH
    return 1.0 - ops.mean(2.0 * (intersection + SMOOTH) / union)


@keras.saving.register_keras_serializable(package="sdnet")
def model_output(y_true, y_pred):
    """The original `ypred` loss: the output is the loss itself (used for the KL output)."""
    return ops.mean(y_pred, axis=-1)

