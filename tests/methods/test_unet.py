"""The U-Net baseline."""
import keras
import numpy as np
import pytest

from helpers import changed, weights_by_network
from sdnet.methods.base import Batch
from sdnet.methods.unet import UNet


@pytest.mark.parametrize("beta_1", [0.5, 0.9])     # the paper's (default) and the released executor's
def test_unet_step_trains_the_unet_with_its_own_adam(tiny_cfg, batch, rng, beta_1):
    model = UNet(tiny_cfg.replace(unet_beta_1=beta_1))
    x, m = batch
    before = weights_by_network(model)
    losses = model.train_step(Batch(images=x, masks=m), rng)
    assert set(losses) == {"supervised_Mask"} and -1 <= losses["supervised_Mask"] <= 1
    assert changed(before, weights_by_network(model)) == {"unet"}
    assert float(keras.ops.convert_to_numpy(model.trainers["supervised"].optimizer.beta_1)) == pytest.approx(beta_1)
    assert model.predict_masks(x).shape == m.shape
    assert [s.name for s in model.streams] == ["labelled"] and not model.uses_unlabelled_pool


def test_unet_mask_network_is_the_unet_without_background(tiny_cfg, batch):
    model = UNet(tiny_cfg)
    x, _ = batch
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.mask_network()(x, training=False)),
                               model.predict_masks(x), atol=1e-6)
