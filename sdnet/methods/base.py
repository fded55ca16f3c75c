"""What every method shares: compiled wrapper trainers, their state, predictions, and the hooks
the training loop calls (the mask discriminator's machinery: sdnet.methods.adversarial).

As in the authors' executors, sub-networks are composed into functional wrapper models, each
compiled with its own Adam optimiser; `train_step` updates them through `self.ops` (a
`train_on_batch` each, or the whole step as one compiled program: sdnet.methods.engine). A
method declares the data streams its step consumes and its phases; the loop calls, per run,
`on_phase_start` (the labelled set of a phase: self-training's pseudo-labels), then per epoch
`on_epoch_start`, `train_step` per batch, `on_validation_end` (numbers that explain the
validation curve, logged beside the losses) and `on_epoch_end`.
"""
from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Optional

import numpy as np
import keras
from keras import layers

from sdnet.config import SDNetConfig
from sdnet.methods.engine import SeparateCalls
from sdnet.nn.precise_bn import TrainingModeForward


class Batch(SimpleNamespace):
    """What one training step consumes, by the Batch fields of the method's streams: images and
    masks (labelled), unlabelled, real_masks, discriminator_images, and any a method declares
    (sdnet_lvv: area_images, area_masks). A field no stream filled is None: its updates are skipped."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return None


@dataclass(frozen=True)
class Stream:
    """A seeded, resumable stream of batches that a method's step reads (sdnet.training.loop
    makes one per declared stream): the Batch fields it fills, one per array, and where the
    arrays come from in the run's data (`source(labelled, data)`: None when the run has none)."""
    name: str
    fields: tuple
    source: Callable
    masks: tuple = ()               # fields holding masks: rotated with `mask_interpolation`
    pairs: bool = False             # image-mask pairs are rotated whenever `augment` is on; other
                                    # streams only with `augment_unlabelled` as well


def _labelled(labelled, data):
    return [labelled.images, labelled.masks]


def _unlabelled(labelled, data):
    return None if data.unlabelled is None else [data.unlabelled.images]


def _real_masks(labelled, data):
    return [data.discriminator_masks.masks]


def _discriminator_images(labelled, data):
    return None if data.discriminator_images is None else [data.discriminator_images.images]


# The original's four generators
LABELLED_PAIRS = Stream("labelled", ("images", "masks"), _labelled, masks=("masks",), pairs=True)
UNLABELLED = Stream("unlabelled", ("unlabelled",), _unlabelled)
REAL_MASKS = Stream("real_masks", ("real_masks",), _real_masks, masks=("real_masks",))
DISCRIMINATOR_IMAGES = Stream("discriminator_images", ("discriminator_images",), _discriminator_images)


def learning_rate_schedule(cfg: SDNetConfig):
    """The Keras 2 decay rule lr / (1 + decay * iterations), per optimiser."""
    return keras.optimizers.schedules.InverseTimeDecay(cfg.learning_rate, decay_steps=1, decay_rate=cfg.decay)


def make_optimizer(cfg: SDNetConfig, beta_1: Optional[float] = None):
    """Adam (beta_1 0.5 as the original SDNet trainers) with the Keras 2 decay rule."""
    return keras.optimizers.Adam(learning_rate_schedule(cfg), beta_1=cfg.beta_1 if beta_1 is None else beta_1)


def jit_compile(cfg: SDNetConfig):
    """`cfg.xla` on TensorFlow; JAX always jit-compiles (it is slow op by op); PyTorch runs
    eagerly (what Keras' "auto" chooses for it)."""
    return {"tensorflow": cfg.xla, "jax": True}.get(keras.backend.backend(), False)


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


def chunk_sizes(n, batch_size):
    """How `predict` cuts n samples: full chunks of `batch_size`, then the rest in powers of two
    (10 at 16 -> 8 + 2). No padding is computed, and at most log2(batch_size) + 2 shapes are ever
    traced (one padded chunk of 16 would cost 60 % more work for a 10-slice volume)."""
    rest = n % batch_size
    return [batch_size] * (n // batch_size) + [1 << b for b in reversed(range(rest.bit_length())) if rest >> b & 1]


def predict(model, inputs, batch_size=32):
    """model.predict without a tf.data pipeline: predict_on_batch over the chunks of
    `chunk_sizes`, so that volumes of any slice count reuse a few traced graphs."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    start, chunks = 0, []
    for size in chunk_sizes(len(inputs[0]), batch_size):
        part = [x[start:start + size] for x in inputs]
        out = model.predict_on_batch(part if len(part) > 1 else part[0])
        chunks.append([np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)])
        start += size
    merged = [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
    return merged if len(merged) > 1 else merged[0]


LABELLED = (LABELLED_PAIRS,)
SEMI_SUPERVISED = (LABELLED_PAIRS, UNLABELLED, REAL_MASKS, DISCRIMINATOR_IMAGES)


class Method(abc.ABC):
    """A trainable method: its networks (name -> keras.Model), its compiled wrapper trainers
    (name -> model with its own optimiser), and the hooks of the training loop.

    Subclasses set `self.networks` and `self.trainers` and implement `train_step`,
    `predict_masks` and `mask_network`.
    """

    name = "method"
    streams = LABELLED            # the streams whose Batch fields `train_step` reads
    uses_unlabelled_pool = False  # whether the run loads unlabelled images at all

    def __init__(self, cfg: SDNetConfig):
        self.cfg = cfg
        self._networks: dict[str, keras.Model] = {}
        self.trainers: dict[str, keras.Model] = {}
        self.ops = SeparateCalls(self)     # how train_step's updates run (sdnet.methods.engine)

    @property
    def networks(self) -> dict[str, keras.Model]:
        return self._networks

    @networks.setter
    def networks(self, networks: dict[str, keras.Model]):
        """Predictions (predict_on_batch of a network) use the trainers' XLA setting."""
        for net in networks.values():
            net.jit_compile = jit_compile(self.cfg)
        self._networks = networks

    # -- updates -------------------------------------------------------------------------------
    def before_update(self, trainer_name):
        """Called before every update of a wrapper (adversarial methods freeze D_M here)."""

    def _train(self, trainer_name, x, y):
        """One update of a wrapper: its losses by name."""
        return self.ops.update(trainer_name, x, y)

    def step_signature(self) -> tuple:
        """What, besides the batch's shapes, changes what `train_step` does (a compiled iteration
        is traced once per signature)."""
        return ()

    # -- predictions ---------------------------------------------------------------------------
    @abc.abstractmethod
    def predict_masks(self, images, batch_size=32):
        """Soft L-channel masks (the first L channels of the softmax)."""

    @abc.abstractmethod
    def mask_network(self) -> keras.Model:
        """image -> L soft masks, sharing the trained networks' weights."""

    def training_mode_forward(self, network=None) -> TrainingModeForward:
        """`network` (default: the mask network) in training mode, compiled once per method and
        network: for the masks below and for recomputing batch-norm statistics."""
        network = self.mask_network() if network is None else network
        forwards = self.__dict__.setdefault("_training_mode_forwards", {})
        if id(network) not in forwards:
            forwards[id(network)] = TrainingModeForward(network, jit_compile(self.cfg))
        return forwards[id(network)]

    def training_mode_predict(self, network, images, batch_size=None):
        """`network`'s output with training-mode batch norm (the statistics of each batch of
        `batch_size` images; default: all of them as one batch), as a training step's forward
        pass computes it; the moving statistics are left untouched. A compiled forward pass
        (called every step when D_M's fakes come from it): the eager one cost as much as the
        step's updates."""
        forward = self.training_mode_forward(network)
        size = batch_size or len(images)
        kept = [keras.ops.convert_to_numpy(v.value) for v in network.non_trainable_variables]
        try:
            return np.concatenate([np.asarray(forward.predict_on_batch(images[start:start + size]))
                                   for start in range(0, len(images), size)])
        finally:          # the forward pass moved the moving statistics: put them back
            for variable, value in zip(network.non_trainable_variables, kept):
                variable.assign(value)

    def training_mode_masks(self, images, batch_size=None):
        """The mask network's `training_mode_predict`."""
        return self.training_mode_predict(self.mask_network(), images, batch_size)

    def diagnostics(self, data, structures, predicted=None) -> dict:
        """Per-epoch numbers that explain a validation curve: predicted / true area of each
        structure on `data`, and the validation Dice again with training-mode batch norm (the
        statistics of each batch, as the updates see them: far above the logged validation
        Dice when the moving statistics do not describe the images). `predicted`: this model's
        `segment(data.images)`, where the caller has it already."""
        from sdnet.evaluation import slice_dice

        predicted = self.segment(data.images) if predicted is None else predicted
        in_training_mode = self.training_mode_masks(data.images, self.cfg.batch_size)
        out = {"val_dice_training_bn": float(np.mean(slice_dice(data.masks, in_training_mode[..., :data.masks.shape[-1]])))}
        for c, name in enumerate(structures):
            truth = float(data.masks[..., c].sum())
            out[f"area_ratio_{name}"] = float(np.round(predicted[..., c]).sum()) / max(truth, 1.0)
        return out

    def segment(self, images, batch_size=32):
        return self.predict_masks(images, batch_size)

    def factor_statistics(self, data) -> dict:
        """What the learnt latent factors look like on `data` (SDNet: Section 5.6's numbers);
        {} for methods without factors."""
        return {}

    # -- hooks of the training loop -------------------------------------------------------------
    def num_phases(self) -> int:
        return 1

    def on_phase_start(self, phase, data, folder):
        """The labelled set that phase `phase` trains on (`data`: the run's TrainingData;
        `folder`: the run folder, for anything the phase must keep for a resumed run)."""
        return data.labelled

    def on_epoch_start(self, epoch):
        """Called before an epoch's first batch."""

    @abc.abstractmethod
    def train_step(self, batch: Batch, rng: np.random.Generator) -> dict:
        """One training step; returns its losses by name (they become the log's columns)."""

    def on_validation_end(self, validation, structures, predicted=None) -> dict:
        """Numbers logged beside the epoch's losses (`predicted`: the validation masks)."""
        return self.diagnostics(validation, structures, predicted)

    def on_epoch_end(self, epoch, logs: dict):
        """Called after an epoch is logged, before its checkpoint is written."""

    # -- state for checkpoints -------------------------------------------------------------------
    def build_optimizers(self):
        """Create every optimiser's moments now, so a checkpoint can be restored before step one."""
        for name, trainer in self.trainers.items():
            self.before_update(name)
            if not trainer.optimizer.built:
                trainer.optimizer.build(trainer.trainable_variables)
        self.after_building_optimizers()

    def after_building_optimizers(self):
        """Adversarial methods unfreeze D_M here."""

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
        return {f"v{i:04d}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.state_variables())}

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


