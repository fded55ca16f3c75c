"""The U-Net baseline of Tables 1-2: the anatomy encoder's body with an L+1 softmax output."""
from __future__ import annotations

import keras

from sdnet.config import SDNetConfig
from sdnet.methods.base import Batch, Method, compile_trainer, dtype_policy, named, predict
from sdnet.nn import networks
from sdnet.nn.layers import ChannelSlice
from sdnet.nn.losses import dice_loss


class PredictsWithUNet:
    """Predictions of a method whose segmentation network is `self.unet` (the U-Net, and the
    semi-supervised methods built on it: Mean Teacher's student, CPS's first network)."""

    def predict_masks(self, images, batch_size=32):
        return predict(self.unet, images, batch_size)[..., : self.cfg.num_masks]

    def mask_network(self):
        if not hasattr(self, "_mask_network"):
            image = keras.Input(self.cfg.input_shape)
            self._mask_network = keras.Model(image, ChannelSlice(0, self.cfg.num_masks)(self.unet(image)))
        return self._mask_network


class UNet(PredictsWithUNet, Method):
    """Trained with the Dice loss alone. The original U-Net baseline compiled Adam with its
    default beta_1 (0.9) and loss weight 1."""

    name = "unet"

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.unet = networks.build_unet(cfg)
        self.networks = {"unet": self.unet}
        image = keras.Input(cfg.input_shape)
        trainer = keras.Model(image, named(self.unet(image), "segmentation"), name="unet_trainer")
        self.trainers = {"supervised": compile_trainer(trainer, cfg, dice_loss, beta_1=cfg.unet_beta_1)}

    def train_step(self, batch: Batch, rng) -> dict:
        return {"supervised_Mask": self._train("supervised", batch.images, batch.masks)["loss"]}
