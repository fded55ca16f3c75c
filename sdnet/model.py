"""SDNet and the machinery its baselines share: compiled wrapper trainers and their state.

As in the authors' executor, the sub-networks are composed into functional wrapper models,
each compiled with its own Adam optimiser, and trained with `train_on_batch` in a fixed order:

1. supervised trainer on a labelled batch     -> [h(f_a(x)), g(f_a(x), z), KL]
2. z-regressor with s of that batch            -> f_m(s, g(s, z')) ~ z'
3. unsupervised trainer on an unlabelled batch -> [D_M(h(f_a(x))), g(f_a(x), z), KL]
4. z-regressor with s of the unlabelled batch
5. discriminator trainer on real masks and pooled fake masks.

Keras 3 reads `trainable` when a trainer runs, so the discriminator is frozen before every
generator-side call and unfrozen before its own (the Keras 2 "compile, then freeze" trick
alone would freeze it everywhere).
"""
from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass
from typing import Optional

import numpy as np
import keras
from keras import layers

from sdnet import networks
from sdnet.config import SDNetConfig
from sdnet.losses import dice_loss, model_output


@dataclass
class Batch:
    """What one training step consumes; a missing stream is None and its updates are skipped."""
    images: Optional[np.ndarray] = None          # labelled images (B, H, W, 1)
    masks: Optional[np.ndarray] = None           # their masks (B, H, W, L)
    unlabelled: Optional[np.ndarray] = None      # unlabelled images
    real_masks: Optional[np.ndarray] = None      # masks for the discriminator's "real" side
    discriminator_images: Optional[np.ndarray] = None  # images whose predicted masks are "fake"


def learning_rate_schedule(cfg: SDNetConfig):
    """The Keras 2 decay rule lr / (1 + decay * iterations), per optimiser."""
    return keras.optimizers.schedules.InverseTimeDecay(cfg.learning_rate, decay_steps=1, decay_rate=cfg.decay)


def make_optimizer(cfg: SDNetConfig, beta_1: Optional[float] = None):
    """Adam (beta_1 0.5 as the original SDNet trainers) with the Keras 2 decay rule."""
    return keras.optimizers.Adam(learning_rate_schedule(cfg), beta_1=cfg.beta_1 if beta_1 is None else beta_1)


def jit_compile(cfg: SDNetConfig):
    """`cfg.xla` on TensorFlow; JAX always jit-compiles (it is slow op by op); PyTorch keeps
    Keras' default (eager)."""
    return {"tensorflow": cfg.xla, "jax": True}.get(keras.backend.backend(), "auto")


def compile_trainer(trainer, cfg: SDNetConfig, loss, loss_weights=None, beta_1=None):
    """Compile a wrapper with its own Adam; returns it."""
    trainer.compile(make_optimizer(cfg, beta_1), loss=loss, loss_weights=loss_weights,
                    run_eagerly=cfg.run_eagerly, jit_compile=jit_compile(cfg))
    return trainer


def named(tensor, name):
    """Name a wrapper output so that train_on_batch reports '<name>_loss'."""
    return layers.Identity(name=name)(tensor)


@contextlib.contextmanager
def dtype_policy(name):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def predict(model, inputs, batch_size=32):
    """model.predict without a tf.data pipeline: predict_on_batch over chunks of exactly
    `batch_size` (the last one zero-padded, its padding dropped), so that volumes of any slice
    count reuse one traced graph. Inference-mode batch norm keeps the samples independent."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    n, size = len(inputs[0]), batch_size
    chunks = []
    for start in range(0, n, size):
        part = [x[start:start + size] for x in inputs]
        short = size - len(part[0])
        if short:
            part = [np.concatenate([p, np.zeros((short,) + p.shape[1:], p.dtype)]) for p in part]
        out = model.predict_on_batch(part if len(part) > 1 else part[0])
        out = [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]
        chunks.append([o[: size - short] for o in out])
    merged = [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
    return merged if len(merged) > 1 else merged[0]


class MaskPool:
    """The last `size` generated masks; the discriminator sees a random draw of them (original get_fake)."""

    def __init__(self, size):
        self.size = size
        self.masks = None

    def add_and_sample(self, masks, count, rng):
        self.masks = masks if self.masks is None else np.concatenate([self.masks, masks])
        self.masks = self.masks[-self.size:]
        chosen = rng.choice(len(self.masks), size=count, replace=False)
        return self.masks[chosen]

    def state(self):
        return {} if self.masks is None else {"pool": self.masks}

    def load_state(self, arrays):
        self.masks = arrays.get("pool")


class TrainableModel(abc.ABC):
    """Common part of SDNet and the baselines: networks, trainers, their state, predictions.

    Subclasses set `self.networks` (name -> keras.Model), `self.trainers` (name -> compiled
    wrapper) and implement `train_batch` and `segment`.
    """

    needs_labels = True        # consumes labelled batches
    needs_unlabelled = False   # consumes unlabelled and discriminator streams

    def __init__(self, cfg: SDNetConfig):
        self.cfg = cfg
        self._networks: dict[str, keras.Model] = {}
        self.trainers: dict[str, keras.Model] = {}
        self.discriminator: Optional[keras.Model] = None
        self.pool = MaskPool(cfg.pool_size)

    @property
    def networks(self) -> dict[str, keras.Model]:
        return self._networks

    @networks.setter
    def networks(self, networks: dict[str, keras.Model]):
        """Predictions (predict_on_batch of a network) use the trainers' XLA setting."""
        for net in networks.values():
            net.jit_compile = jit_compile(self.cfg)
        self._networks = networks

    # -- discriminator freezing -------------------------------------------------------------
    def _set_discriminator_trainable(self, flag: bool):
        if self.discriminator is not None:
            self.discriminator.trainable = flag

    def _train(self, trainer_name, x, y, discriminator_trainable=False):
        """One train_on_batch of a wrapper, with the discriminator frozen unless it is D's turn."""
        self._set_discriminator_trainable(discriminator_trainable)
        logs = self.trainers[trainer_name].train_on_batch(x, y, return_dict=True)
        return {k: float(v) for k, v in logs.items()}

    def _train_discriminator(self, real_masks, fake_candidates, rng):
        """Step 5: D_M on real masks against a pool of the model's masks (`fake_candidates`)."""
        count = min(len(real_masks), len(fake_candidates))
        real_masks = real_masks[:count]
        fake = self.pool.add_and_sample(fake_candidates[:count], count, rng)
        ones, zeros = np.ones((count, 1), "float32"), np.zeros((count, 1), "float32")
        logs = self._train("discriminator", [real_masks, fake], [ones, zeros],
                           discriminator_trainable=True)
        return {"dis_M": logs["loss"]}

    def _discriminator_trainer(self, discriminator):
        """Step 5's wrapper: D_M(real) against 1 and D_M(fake) against 0, with its own Adam."""
        cfg = self.cfg
        real = keras.Input(cfg.input_shape[:2] + (cfg.num_masks,))
        fake = keras.Input(cfg.input_shape[:2] + (cfg.num_masks,))
        trainer = keras.Model([real, fake], [named(discriminator(real), "real"),
                                             named(discriminator(fake), "fake")],
                              name="discriminator_trainer")
        return compile_trainer(trainer, cfg, ["mse", "mse"])

    def fake_masks(self, batch: Batch):
        """The masks D_M is shown as fake (`cfg.fake_masks`). "unsupervised" must be called before
        the unsupervised update, so that they are that update's own forward pass."""
        if self.cfg.fake_masks == "unsupervised":
            return self.training_mode_masks(batch.unlabelled)
        images = batch.discriminator_images[: len(batch.real_masks)]
        if self.cfg.fake_masks == "predicted_training_bn":
            return self.training_mode_masks(images)
        return self.predict_masks(images, batch_size=len(images))

    # -- predictions ---------------------------------------------------------------------------
    @abc.abstractmethod
    def predict_masks(self, images, batch_size=32):
        """Soft L-channel masks (the first L channels of the softmax)."""

    @abc.abstractmethod
    def mask_network(self) -> keras.Model:
        """image -> L soft masks, sharing the trained networks' weights."""

    def training_mode_masks(self, images):
        """Masks with training-mode batch norm (batch statistics), as a training step's forward
        pass computes them; the moving statistics are left untouched."""
        net = self.mask_network()
        masks, _ = net.stateless_call([v.value for v in net.trainable_variables],
                                      [v.value for v in net.non_trainable_variables],
                                      keras.ops.convert_to_tensor(images), training=True)
        return np.asarray(keras.ops.convert_to_numpy(masks))

    def diagnostics(self, data, structures) -> dict:
        """Per-epoch numbers that explain a validation curve: predicted / true area of each
        structure on `data` and, with a mask discriminator, its mean score of true and of
        predicted masks (LSGAN targets: real 1, fake 0)."""
        predicted = self.segment(data.images)
        out = {}
        for c, name in enumerate(structures):
            truth = float(data.masks[..., c].sum())
            out[f"area_ratio_{name}"] = float(np.round(predicted[..., c]).sum()) / max(truth, 1.0)
        if self.discriminator is not None:
            out["D_real"] = float(np.mean(predict(self.discriminator, data.masks)))
            out["D_fake"] = float(np.mean(predict(self.discriminator, predicted)))
        return out

    @abc.abstractmethod
    def train_batch(self, batch: Batch, rng: np.random.Generator) -> dict:
        """One training step; returns its losses by name."""

    def segment(self, images, batch_size=32):
        return self.predict_masks(images, batch_size)

    # -- state for checkpoints -------------------------------------------------------------------
    def build_optimizers(self):
        """Create every optimiser's moments now, so a checkpoint can be restored before step one."""
        for name, trainer in self.trainers.items():
            self._set_discriminator_trainable(name == "discriminator")
            if not trainer.optimizer.built:
                trainer.optimizer.build(trainer.trainable_variables)
        self._set_discriminator_trainable(True)

    def state_variables(self):
        """All variables a resumed run needs, in a fixed order: weights, BN statistics, seed
        generator states, and each trainer's optimiser (iterations and moments)."""
        self.build_optimizers()
        seen, ordered = set(), []
        sources = [net.variables for net in self.networks.values()]
        sources += [t.optimizer.variables for t in self.trainers.values()]
        for variables in sources:
            for v in variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    ordered.append(v)
        return ordered

    def get_state(self) -> dict:
        arrays = {f"v{i:04d}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.state_variables())}
        arrays.update({f"pool_{k}": a for k, a in self.pool.state().items()})
        return arrays

    def set_state(self, arrays: dict):
        variables = self.state_variables()
        stored = sorted(k for k in arrays if k.startswith("v"))
        if len(stored) != len(variables):
            raise ValueError(f"checkpoint holds {len(stored)} variables, the model has {len(variables)}: "
                             "was it written with another configuration?")
        for key, v in zip(stored, variables):
            if tuple(arrays[key].shape) != tuple(v.shape):
                raise ValueError(f"checkpoint variable {key} has shape {arrays[key].shape}, "
                                 f"model variable {v.path} has {tuple(v.shape)}")
            v.assign(arrays[key])
        self.pool.load_state({k[5:]: a for k, a in arrays.items() if k.startswith("pool_")})

    def optimizer_iterations(self) -> dict:
        return {name: int(keras.ops.convert_to_numpy(t.optimizer.iterations))
                for name, t in self.trainers.items()}

    # -- saving -------------------------------------------------------------------------------------
    def save_weights(self, folder):
        for name, net in self.networks.items():
            net.save_weights(f"{folder}/{name}.weights.h5")

    def load_weights(self, folder):
        for name, net in self.networks.items():
            net.load_weights(f"{folder}/{name}.weights.h5")

    def save(self, folder):
        """Each network as a `.keras` file (loadable with safe_mode on)."""
        for name, net in self.networks.items():
            net.save(f"{folder}/{name}.keras")


class SDNet(TrainableModel):
    """The Spatial Decomposition Network: anatomy s, modality z, decoder, segmentor, D_M."""

    needs_unlabelled = True

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
        zeros = np.zeros((len(images), 1), "float32")
        logs = self._train("supervised", images, [masks, images, zeros])
        return {"supervised_Mask": logs["segmentation_loss"], "rec_X": logs["reconstruction_loss"],
                "KL": logs["kl_loss"]}

    def train_z_regressor(self, images, rng):
        s = self.anatomy_encoder.predict_on_batch(images)
        z = rng.standard_normal((len(images), self.cfg.num_z)).astype("float32")
        return {"rec_Z": self._train("z_regressor", [s, z], z)["loss"]}

    def train_unsupervised(self, images):
        ones, zeros = np.ones((len(images), 1), "float32"), np.zeros((len(images), 1), "float32")
        logs = self._train("unsupervised", images, [ones, images, zeros])
        return {"adv_M": logs["adversarial_loss"], "rec_X": logs["reconstruction_loss"],
                "KL": logs["kl_loss"]}

    def train_batch(self, batch: Batch, rng: np.random.Generator) -> dict:
        """The original executor's order; returns the losses of this step by name."""
        cfg, losses = self.cfg, {}

        def record(values):
            for k, v in values.items():
                losses.setdefault(k, []).append(v)

        if batch.images is not None and cfg.train_supervised:
            record(self.train_supervised(batch.images, batch.masks))
            if cfg.train_z_regressor and cfg.w_z_reconstruction:
                record(self.train_z_regressor(batch.images, rng))
        train_discriminator = batch.unlabelled is not None and batch.real_masks is not None and cfg.train_discriminator
        fakes = self.fake_masks(batch) if train_discriminator and cfg.fake_masks == "unsupervised" else None
        if batch.unlabelled is not None and cfg.train_unsupervised:
            record(self.train_unsupervised(batch.unlabelled))
            if cfg.train_z_regressor and cfg.w_z_reconstruction:
                record(self.train_z_regressor(batch.unlabelled, rng))
        if train_discriminator:
            fakes = self.fake_masks(batch) if fakes is None else fakes
            record(self._train_discriminator(batch.real_masks, fakes, rng))
        return {k: float(np.mean(v)) for k, v in losses.items()}

    # -- inference --------------------------------------------------------------------------------
    def mask_network(self):
        if not hasattr(self, "_mask_network"):
            image = keras.Input(self.cfg.input_shape)
            self._mask_network = keras.Model(image, self.segmentor(self.anatomy_encoder(image)))
        return self._mask_network

    def diagnostics(self, data, structures) -> dict:
        """Also the anatomy channels' occupancy: the fraction of pixels each channel of s covers."""
        occupancy = self.anatomy(data.images).mean(axis=(0, 1, 2))
        return {**super().diagnostics(data, structures),
                **{f"s{c}_occupancy": float(v) for c, v in enumerate(occupancy)}}

    def anatomy(self, images, batch_size=32):
        return predict(self.anatomy_encoder, images, batch_size)

    def predict_masks(self, images, batch_size=32):
        return predict(self.segmentor, self.anatomy(images, batch_size), batch_size)

    def encode(self, images, batch_size=32):
        """(s, z sampled, KL) for a set of images."""
        s = self.anatomy(images, batch_size)
        z, kl = predict(self.modality_encoder, [s, images], batch_size)
        return s, z, kl

    def reconstruct(self, images, batch_size=32):
        s, z, _ = self.encode(images, batch_size)
        return predict(self.decoder, [s, z], batch_size)
