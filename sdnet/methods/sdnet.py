"""SDNet: the five updates of the original executor, in its order, one compiled wrapper each.

1. supervised trainer on a labelled batch     -> [h(f_a(x)), g(f_a(x), z), KL]
2. z-regressor with s of that batch            -> f_m(s, g(s, z')) ~ z'
3. unsupervised trainer on an unlabelled batch -> [D_M(h(f_a(x))), g(f_a(x), z), KL]
4. z-regressor with s of the unlabelled batch
5. discriminator trainer on real masks and pooled fake masks.
"""
from __future__ import annotations

import numpy as np
import keras

from sdnet.config import SDNetConfig
from sdnet.methods.adversarial import AdversarialMethod
from sdnet.methods.base import SEMI_SUPERVISED, Batch, compile_trainer, dtype_policy, named, predict
from sdnet.nn import networks
from sdnet.nn.losses import dice_loss, model_output


class SDNet(AdversarialMethod):
    """The Spatial Decomposition Network: anatomy s, modality z, decoder, segmentor, D_M."""

    name = "sdnet"
    streams = SEMI_SUPERVISED

    @property
    def uses_unlabelled_pool(self):
        """Not when neither the unsupervised update nor D_M trains (Table 3's fully supervised
        setting): no pool is loaded and no unlabelled stream drawn."""
        return self.cfg.train_unsupervised or self.cfg.train_discriminator

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.anatomy_encoder = networks.build_anatomy_encoder(cfg)
            self.modality_encoder = networks.build_modality_encoder(cfg)
            self.segmentor = networks.build_segmentor(cfg)
            self.decoder = networks.build_decoder(cfg)
            self.discriminator = networks.build_mask_discriminator(cfg)
        self.networks = {"anatomy_encoder": self.anatomy_encoder,
                         "modality_encoder": self.modality_encoder,
                         "segmentor": self.segmentor, "decoder": self.decoder,
                         "mask_discriminator": self.discriminator}
        self.trainers = {"supervised": self._supervised_trainer(),
                         "z_regressor": self._z_regressor(),
                         "unsupervised": self._unsupervised_trainer(),
                         "discriminator": self._discriminator_trainer(self.discriminator)}

    # -- wrappers ---------------------------------------------------------------------------
    def _encode_decode(self, image):
        s = self.anatomy_encoder(image)
        z, kl = self.modality_encoder([s, image])
        return s, self.decoder([s, z]), kl

    def _supervised_trainer(self):
        cfg = self.cfg
        image = keras.Input(cfg.input_shape)
        s, reconstruction, kl = self._encode_decode(image)
        trainer = keras.Model(image, [named(self.segmentor(s), "segmentation"),
                                      named(reconstruction, "reconstruction"), named(kl, "kl")],
                              name="supervised_trainer")
        return compile_trainer(trainer, cfg, [dice_loss, "mae", model_output],
                               [cfg.w_segmentation, cfg.w_reconstruction, cfg.w_kl])

    def _unsupervised_trainer(self):
        cfg = self.cfg
        image = keras.Input(cfg.input_shape)
        s, reconstruction, kl = self._encode_decode(image)
        realness = self.discriminator(self.segmentor(s))
        trainer = keras.Model(image, [named(realness, "adversarial"),
                                      named(reconstruction, "reconstruction"), named(kl, "kl")],
                              name="unsupervised_trainer")
        return compile_trainer(trainer, cfg, ["mse", "mae", model_output],
                               [cfg.w_adversarial, cfg.w_reconstruction, cfg.w_kl])

    def _z_regressor(self):
        """Trains decoder and modality encoder so that a sampled z survives decode-then-encode."""
        cfg = self.cfg
        s = keras.Input(cfg.input_shape[:2] + (cfg.anatomy_channels,))
        z = keras.Input((cfg.num_z,))
        z_again, _ = self.modality_encoder([s, self.decoder([s, z])])
        trainer = keras.Model([s, z], named(z_again, "z_reconstruction"), name="z_regressor")
        return compile_trainer(trainer, cfg, "mae", [cfg.w_z_reconstruction])

    # -- the five updates -----------------------------------------------------------------------
    def train_supervised(self, images, masks):
        zeros = np.zeros((images.shape[0], 1), "float32")
        logs = self._train("supervised", images, [masks, images, zeros])
        return {"supervised_Mask": logs["segmentation_loss"], "rec_X": logs["reconstruction_loss"],
                "KL": logs["kl_loss"]}

    def train_z_regressor(self, images, rng):
        s = self.ops.infer(self.anatomy_encoder, images)
        z = self.ops.normal(rng, (images.shape[0], self.cfg.num_z))
        return {"rec_Z": self._train("z_regressor", [s, z], z)["loss"]}

    def train_unsupervised(self, images):
        ones, zeros = np.ones((images.shape[0], 1), "float32"), np.zeros((images.shape[0], 1), "float32")
        logs = self._train("unsupervised", images, [ones, images, zeros])
        return {"adv_M": logs["adversarial_loss"], "rec_X": logs["reconstruction_loss"],
                "KL": logs["kl_loss"]}

    def train_step(self, batch: Batch, rng: np.random.Generator) -> dict:
        """The original executor's order; returns the losses of this step by name."""
        cfg, losses = self.cfg, {}

        def record(values):
            for k, v in values.items():
                losses.setdefault(k, []).append(v)

        if batch.images is not None and cfg.train_supervised:
            record(self.train_supervised(batch.images, batch.masks))
            if cfg.train_z_regressor and cfg.w_z_reconstruction:
                record(self.train_z_regressor(batch.images, rng))
        if batch.unlabelled is not None:
            for values in self.unlabelled_half(batch, rng, lambda: self._unsupervised_updates(batch.unlabelled, rng)):
                record(values)
        return {k: sum(v) / len(v) for k, v in losses.items()}

    def _unsupervised_updates(self, images, rng) -> list:
        cfg, losses = self.cfg, []
        if cfg.train_unsupervised:
            losses.append(self.train_unsupervised(images))
            if cfg.train_z_regressor and cfg.w_z_reconstruction:
                losses.append(self.train_z_regressor(images, rng))
        return losses

    # -- inference --------------------------------------------------------------------------------
    def mask_network(self):
        if not hasattr(self, "_mask_network"):
            image = keras.Input(self.cfg.input_shape)
            self._mask_network = keras.Model(image, self.segmentor(self.anatomy_encoder(image)))
        return self._mask_network

    def diagnostics(self, data, structures, predicted=None) -> dict:
        """Also the anatomy channels' occupancy: the fraction of pixels each channel of s covers."""
        occupancy = self.anatomy(data.images).mean(axis=(0, 1, 2))
        return {**super().diagnostics(data, structures, predicted),
                **{f"s{c}_occupancy": float(v) for c, v in enumerate(occupancy)}}

    def anatomy(self, images, batch_size=32):
        return predict(self.anatomy_encoder, images, batch_size)

    def predict_masks(self, images, batch_size=32):
        return predict(self.segmentor, self.anatomy(images, batch_size), batch_size)

    def factor_statistics(self, data, batch_size=32) -> dict:
        """Section 5.6: how many anatomy channels are zero on every image of `data`, and the
        mean posterior variance of each z dimension (Burgess et al. 2018: near 1, the dimension
        carries nothing; lower, it is informative), lowest first."""
        s = self.anatomy(data.images, batch_size)
        empty = int(np.sum(s.reshape(-1, s.shape[-1]).max(axis=0) == 0))
        log_variance = keras.Model(self.modality_encoder.inputs, self.modality_encoder.get_layer("z_log_var").output)
        variance = np.exp(predict(log_variance, [s, data.images], batch_size)).mean(axis=0)
        return {"anatomy_channels": int(s.shape[-1]), "empty_anatomy_channels": empty,
                "z_dimensions": int(variance.size), "z_posterior_variance": sorted(float(v) for v in variance)}

    def encode(self, images, batch_size=32):
        """(s, z sampled, KL) for a set of images."""
        s = self.anatomy(images, batch_size)
        z, kl = predict(self.modality_encoder, [s, images], batch_size)
        return s, z, kl

    def posterior_mean(self, images, batch_size=32):
        """The mean of q(z | x) of each image: z without the sampling noise, for figures."""
        mean = keras.Model(self.modality_encoder.inputs, self.modality_encoder.get_layer("z_mean").output)
        return predict(mean, [self.anatomy(images, batch_size), images], batch_size)

    def decode(self, anatomy, z, batch_size=32):
        return predict(self.decoder, [anatomy, np.asarray(z, "float32")], batch_size)

    def reconstruct(self, images, batch_size=32):
        s, z, _ = self.encode(images, batch_size)
        return predict(self.decoder, [s, z], batch_size)
