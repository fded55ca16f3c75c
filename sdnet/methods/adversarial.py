"""What the methods with a mask discriminator D_M share (SDNet and the GAN baseline): its
wrapper trainer, freezing it for the generator-side updates, its step on real masks against a
pool of generated ones, the fake masks `fake_masks` chooses, and its diagnostics.

Keras 3 reads `trainable` when a trainer runs, so D_M is frozen before every generator-side
update and unfrozen before its own (the Keras 2 "compile, then freeze" trick alone would freeze
it everywhere).
"""
from __future__ import annotations

import keras
import numpy as np

from sdnet.config import SDNetConfig
from sdnet.methods.base import Batch, Method, compile_trainer, named, predict


class MaskPool:
    """The last `size` generated masks; the discriminator sees a random draw of them (original get_fake).

    Held as a buffer of fixed shape whose last `held` entries are the pool, so that a compiled
    iteration (sdnet.methods.engine) can update it in place of the same shape every step."""

    def __init__(self, size):
        self.size = size
        self.buffer = None
        self.held = 0

    @property
    def masks(self):
        return None if self.buffer is None else self.buffer[self.size - self.held:]

    def positions(self, added, count, rng):
        """Where in the buffer the `count` masks drawn after adding `added` new ones lie (the
        draw itself: without replacement among the pool's masks)."""
        held = min(self.held + added, self.size)
        return rng.choice(held, size=count, replace=False) + self.size - held

    def add_and_sample(self, masks, count, rng):
        masks = np.asarray(masks)
        chosen = self.positions(len(masks), count, rng)
        self.keep(np.concatenate([self.empty_buffer(masks), masks])[-self.size:], len(masks))
        return self.buffer[chosen]

    def empty_buffer(self, masks):
        """The buffer, zeros before the first masks (shaped like them)."""
        return np.zeros((self.size, *masks.shape[1:]), masks.dtype) if self.buffer is None else self.buffer

    def keep(self, buffer, added):
        self.buffer, self.held = buffer, min(self.held + added, self.size)

    def state(self):
        return {} if self.buffer is None else {"pool": np.asarray(self.masks)}

    def load_state(self, arrays):
        masks = arrays.get("pool")
        self.buffer, self.held = None, 0
        if masks is not None:
            self.keep(np.concatenate([self.empty_buffer(masks), masks])[-self.size:], len(masks))


class AdversarialMethod(Method):
    """A method with a mask discriminator: subclasses set `self.discriminator` and name its
    wrapper "discriminator" among their trainers."""

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        self.discriminator: keras.Model = None
        self.pool = MaskPool(cfg.pool_size)

    # -- freezing ------------------------------------------------------------------------------
    def before_update(self, trainer_name):
        self.discriminator.trainable = trainer_name == "discriminator"

    def after_building_optimizers(self):
        self.discriminator.trainable = True

    # -- D_M's update --------------------------------------------------------------------------
    def _discriminator_trainer(self, discriminator):
        """Step 5's wrapper: D_M(real) against 1 and D_M(fake) against 0, with its own Adam."""
        cfg = self.cfg
        real = keras.Input(cfg.input_shape[:2] + (cfg.num_masks,))
        fake = keras.Input(cfg.input_shape[:2] + (cfg.num_masks,))
        trainer = keras.Model([real, fake], [named(discriminator(real), "real"),
                                             named(discriminator(fake), "fake")],
                              name="discriminator_trainer")
        return compile_trainer(trainer, cfg, ["mse", "mse"])

    def _train_discriminator(self, real_masks, fake_candidates, rng):
        """Step 5: D_M on real masks against a pool of the model's masks (`fake_candidates`)."""
        count = min(real_masks.shape[0], fake_candidates.shape[0])
        real_masks = real_masks[:count]
        fake = self.ops.from_pool(rng, self.pool, fake_candidates[:count])
        ones, zeros = np.ones((count, 1), "float32"), np.zeros((count, 1), "float32")
        logs = self._train("discriminator", [real_masks, fake], [ones, zeros])
        return {"dis_M": logs["loss"]}

    def unlabelled_half(self, batch: Batch, rng, unsupervised_updates) -> list:
        """The unlabelled half of a step: `unsupervised_updates()` (a list of loss dicts), then
        D_M's update on the fake masks `cfg.fake_masks` chooses, taken before the unsupervised
        updates when they are those updates' own outputs."""
        train_discriminator = batch.real_masks is not None and self.cfg.train_discriminator
        fakes = self.fake_masks(batch) if train_discriminator and self.cfg.fake_masks == "unsupervised" else None
        losses = unsupervised_updates()
        if train_discriminator:
            fakes = self.fake_masks(batch) if fakes is None else fakes
            losses.append(self._train_discriminator(batch.real_masks, fakes, rng))
        return losses

    def fake_masks(self, batch: Batch):
        """The masks D_M is shown as fake (`cfg.fake_masks`). "unsupervised" must be called before
        the unsupervised update, so that they are that update's own forward pass."""
        if self.cfg.fake_masks == "unsupervised":
            return self.ops.masks(batch.unlabelled, training=True)
        images = batch.discriminator_images[: batch.real_masks.shape[0]]
        return self.ops.masks(images, training=self.cfg.fake_masks == "predicted_training_bn")

    # -- diagnostics and state -------------------------------------------------------------------
    def diagnostics(self, data, structures, predicted=None) -> dict:
        """The common diagnostics and D_M's mean score of true and of predicted masks (LSGAN
        targets: real 1, fake 0)."""
        predicted = self.segment(data.images) if predicted is None else predicted
        out = super().diagnostics(data, structures, predicted)
        out["D_real"] = float(np.mean(predict(self.discriminator, data.masks)))
        out["D_fake"] = float(np.mean(predict(self.discriminator, predicted)))
        return out

    def get_state(self) -> dict:
        arrays = super().get_state()
        arrays.update({f"pool_{k}": a for k, a in self.pool.state().items()})
        return arrays

    def set_state(self, arrays: dict):
        super().set_state(arrays)
        self.pool.load_state({k[5:]: a for k, a in arrays.items() if k.startswith("pool_")})
