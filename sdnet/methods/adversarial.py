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
    """The last `size` generated masks; the discriminator sees a random draw of them (original
    get_fake).

    State the adversarial methods own, kept as any executor can update it (sdnet.methods.engine):
    a Keras variable of fixed shape whose last `held` entries are the pool, read and assigned
    through the step's operations, and `held`, a host-side count that the index draw advances."""

    def __init__(self, size, mask_shape):
        self.size = size
        self.held = 0
        self.buffer = keras.Variable(np.zeros((size, *mask_shape), "float32"), trainable=False, name="mask_pool")

    @property
    def masks(self):
        if self.held == 0:
            return None
        return keras.ops.convert_to_numpy(self.buffer.value)[self.size - self.held:]

    def draw_positions(self, added, count, rng):
        """Where in the buffer the `count` masks drawn after adding `added` new ones lie (the
        draw itself: without replacement among the pool's masks); counts the added ones."""
        self.held = min(self.held + added, self.size)
        return rng.choice(self.held, size=count, replace=False) + self.size - self.held

    def add_and_sample(self, ops, rng, masks):
        """Add `masks` to the pool, then draw as many from it, through the executor's `ops`."""
        count = masks.shape[0]
        chosen = ops.indices(rng, count, lambda rng: self.draw_positions(count, count, rng))
        masks = keras.ops.cast(masks, self.buffer.dtype)
        buffer = keras.ops.concatenate([ops.read(self.buffer), masks])[-self.size:]
        ops.assign(self.buffer, buffer)
        return keras.ops.take(buffer, chosen, axis=0)

    def state(self):
        return {} if self.held == 0 else {"pool": self.masks}

    def load_state(self, arrays):
        masks = arrays.get("pool")
        buffer = np.zeros(self.buffer.shape, "float32")
        self.held = 0 if masks is None else len(masks)
        if masks is not None:
            buffer[self.size - self.held:] = masks
        self.buffer.assign(buffer)


class AdversarialMethod(Method):
    """A method with a mask discriminator: subclasses set `self.discriminator` and name its
    wrapper "discriminator" among their trainers."""

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        self.discriminator: keras.Model = None
        self.pool = MaskPool(cfg.pool_size, cfg.input_shape[:2] + (cfg.num_masks,))

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
        fake = self.pool.add_and_sample(self.ops, rng, fake_candidates[:count])
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
            return self.ops.infer(self.mask_network(), batch.unlabelled, training=True)
        images = batch.discriminator_images[: batch.real_masks.shape[0]]
        return self.ops.infer(self.mask_network(), images, training=self.cfg.fake_masks == "predicted_training_bn")

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
