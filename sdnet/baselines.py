"""The baselines of Tables 1-2: U-Net, GAN (U-Net + mask discriminator) and self-training."""
from __future__ import annotations

import numpy as np
import keras

from sdnet import networks
from sdnet.config import SDNetConfig
from sdnet.layers import ChannelSlice
from sdnet.losses import dice_loss
from sdnet.model import Batch, SDNet, TrainableModel, compile_trainer, dtype_policy, named, predict


class UNetModel(TrainableModel):
    """The anatomy encoder's U-Net with an L+1 softmax output, trained with the Dice loss alone.
    The original U-Net baseline compiled Adam with its default beta_1 (0.9) and loss weight 1."""

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.unet = networks.build_unet(cfg)
        self.networks = {"unet": self.unet}
        image = keras.Input(cfg.input_shape)
        trainer = keras.Model(image, named(self.unet(image), "segmentation"), name="unet_trainer")
        self.trainers = {"supervised": compile_trainer(trainer, cfg, dice_loss, beta_1=cfg.unet_beta_1)}

    def train_batch(self, batch: Batch, rng) -> dict:
        if batch.images is None:
            return {}
        return {"supervised_Mask": self._train("supervised", batch.images, batch.masks)["loss"]}

    def predict_masks(self, images, batch_size=32):
        return predict(self.unet, images, batch_size)[..., : self.cfg.num_masks]

    def mask_network(self):
        if not hasattr(self, "_mask_network"):
            image = keras.Input(self.cfg.input_shape)
            self._mask_network = keras.Model(image, ChannelSlice(0, self.cfg.num_masks)(self.unet(image)))
        return self._mask_network


class SelfTrainModel(UNetModel):
    """Bai et al. 2017 without the CRF: the U-Net, retrained on its own pseudo-labels of the
    unlabelled images for `cfg.self_train_rounds` rounds (the runner drives the rounds)."""

    needs_unlabelled = True

    def pseudo_label(self, images, batch_size=32):
        """Hard masks: argmax over the L+1 softmax channels, background dropped."""
        probabilities = predict(self.unet, images, batch_size)
        winner = np.argmax(probabilities, -1)
        return np.stack([winner == c for c in range(self.cfg.num_masks)], -1).astype(np.float32)


class GANModel(TrainableModel):
    """U-Net plus the mask discriminator's LSGAN loss on unlabelled images: SDNet without the
    reconstruction path. Weights w_segmentation / w_adversarial (10 / 10), Adam beta_1 0.5."""

    needs_unlabelled = True

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

    def train_batch(self, batch: Batch, rng) -> dict:
        losses = {}
        if batch.images is not None:
            # single-output trainers report the weighted loss: divide the weight out, so the
            # log shows the same unweighted losses as SDNet's
            logs = self._train("supervised", batch.images, batch.masks)
            losses["supervised_Mask"] = logs["loss"] / self.cfg.w_segmentation
        if batch.unlabelled is not None:
            train_discriminator = batch.real_masks is not None
            early = self.cfg.fake_masks == "unsupervised" and train_discriminator
            fakes = self.fake_masks(batch) if early else None
            ones = np.ones((len(batch.unlabelled), 1), "float32")
            losses["adv_M"] = self._train("unsupervised", batch.unlabelled, ones)["loss"] / self.cfg.w_adversarial
            if train_discriminator:
                fakes = self.fake_masks(batch) if fakes is None else fakes
                losses.update(self._train_discriminator(batch.real_masks, fakes, rng))
        return losses

    def predict_masks(self, images, batch_size=32):
        return predict(self.unet, images, batch_size)[..., : self.cfg.num_masks]

    def mask_network(self):
        return self.trainers["supervised"]


MODELS = {"unet": UNetModel, "gan": GANModel, "selftrain": SelfTrainModel, "sdnet": SDNet}


def build_model(method: str, cfg: SDNetConfig) -> TrainableModel:
    if method not in MODELS:
        raise ValueError(f"unknown method {method!r}; choose from {sorted(MODELS)}")
    return MODELS[method](cfg)
