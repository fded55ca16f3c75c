"""The GAN baseline of Tables 1-2: the U-Net plus the mask discriminator's LSGAN loss on
unlabelled images, i.e. SDNet without the reconstruction path. Weights w_segmentation /
w_adversarial (10 / 10), Adam beta_1 0.5."""
from __future__ import annotations

import numpy as np
import keras

from sdnet.config import SDNetConfig
from sdnet.methods.adversarial import AdversarialMethod
from sdnet.methods.base import SEMI_SUPERVISED, Batch, compile_trainer, dtype_policy, named, predict
from sdnet.nn import networks
from sdnet.nn.layers import ChannelSlice
from sdnet.nn.losses import dice_loss


class GAN(AdversarialMethod):
    name = "gan"
    streams = SEMI_SUPERVISED
    uses_unlabelled_pool = True

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.unet = networks.build_unet(cfg)
            self.discriminator = networks.build_mask_discriminator(cfg)
        self.networks = {"unet": self.unet, "mask_discriminator": self.discriminator}
        image = keras.Input(cfg.input_shape)
        masks = ChannelSlice(0, cfg.num_masks)(self.unet(image))
        supervised = keras.Model(image, named(masks, "segmentation"), name="gan_supervised_trainer")
        unsupervised = keras.Model(image, named(self.discriminator(masks), "adversarial"),
                                   name="gan_unsupervised_trainer")
        self.trainers = {"supervised": compile_trainer(supervised, cfg, dice_loss, [cfg.w_segmentation]),
                         "unsupervised": compile_trainer(unsupervised, cfg, "mse", [cfg.w_adversarial]),
                         "discriminator": self._discriminator_trainer(self.discriminator)}

    def train_step(self, batch: Batch, rng) -> dict:
        # single-output trainers report the weighted loss: divide the weight out, so the log
        # shows the same unweighted losses as SDNet's
        logs = self._train("supervised", batch.images, batch.masks)
        losses = {"supervised_Mask": logs["loss"] / self.cfg.w_segmentation}
        if batch.unlabelled is not None:
            for values in self.unlabelled_half(batch, rng, lambda: [self._adversarial_update(batch.unlabelled)]):
                losses.update(values)
        return losses

    def _adversarial_update(self, images):
        ones = np.ones((images.shape[0], 1), "float32")
        return {"adv_M": self._train("unsupervised", images, ones)["loss"] / self.cfg.w_adversarial}

    def predict_masks(self, images, batch_size=32):
        return predict(self.unet, images, batch_size)[..., : self.cfg.num_masks]

    def mask_network(self):
        return self.trainers["supervised"]
