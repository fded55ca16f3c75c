"""The GAN baseline: U-Net and mask discriminator, each update changing its own network."""
import numpy as np
import pytest

from helpers import changed, weights_by_network
from sdnet.methods.base import Batch
from sdnet.methods.gan import GAN


@pytest.mark.parametrize("fake_masks", ["predicted", "unsupervised"])
def test_gan_step_trains_both_networks_and_logs_unweighted_losses(tiny_cfg, batch, rng, fake_masks):
    model = GAN(tiny_cfg.replace(fake_masks=fake_masks))
    x, m = batch
    before = weights_by_network(model)
    losses = model.train_step(Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x), rng)
    assert set(losses) == {"supervised_Mask", "adv_M", "dis_M"}
    assert -1 <= losses["supervised_Mask"] <= 1          # the Dice loss, its weight of 10 divided out
    assert changed(before, weights_by_network(model)) == {"unet", "mask_discriminator"}
    assert model.optimizer_iterations() == {"supervised": 1, "unsupervised": 1, "discriminator": 1}


def test_gan_adversarial_update_leaves_the_discriminator_alone(tiny_cfg, batch):
    model = GAN(tiny_cfg)
    x, _ = batch
    before = weights_by_network(model)
    model._train("unsupervised", x, np.ones((len(x), 1), "float32"))
    assert changed(before, weights_by_network(model)) == {"unet"}
