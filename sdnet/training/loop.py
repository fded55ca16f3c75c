"""The epochs of one run, with hooks in the manner of nnU-Net's trainer.

For each of the method's phases: `on_phase_start` gives the labelled set, one seeded stream is
made per Batch field the method reads; per epoch: `on_epoch_start`, `train_step` per batch (the
next batch prepared in a thread meanwhile), validation Dice, `on_validation_end` (diagnostics),
early stopping and best weights, the log row, example images, `on_epoch_end`, then an atomic
checkpoint of everything a resumed run needs.
"""
from __future__ import annotations

import logging
import math
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sdnet.config import SDNetConfig
from sdnet.data.augment import Rotation
from sdnet.data.training_data import TrainingData
from sdnet.data.streams import ArrayStream
from sdnet.methods.base import Batch, Method
from sdnet.methods.engine import iteration_runner
from sdnet.nn.precise_bn import recalibrate_batchnorm
from sdnet.progress import progress
from sdnet.training.checkpoint import load_checkpoint, save_checkpoint
from sdnet.training.early_stopping import EarlyStopping
from sdnet.training.folder import RunFolder
from sdnet.training.logs import TrainingLog

log = logging.getLogger("sdnet")

# Seeds of the streams of sdnet 0.2, drawn in this order whatever a method reads, so that a
# stream's draws do not depend on which other streams exist; a stream declared since is seeded
# from its name.
SEEDED_IN_ORDER = ("labelled", "unlabelled", "real_masks", "discriminator_images", "areas")
STEPS_TIMED = 3          # steps after the first (compilation) that project a run's duration


def stream_seed(seed: int, name: str) -> int:
    if name in SEEDED_IN_ORDER:
        return np.random.SeedSequence([seed, 11]).generate_state(len(SEEDED_IN_ORDER))[SEEDED_IN_ORDER.index(name)]
    return np.random.SeedSequence([seed, 11, zlib.crc32(name.encode())]).generate_state(1)[0]


def make_streams(method: Method, labelled, data: TrainingData, cfg: SDNetConfig) -> dict:
    """One seeded, resumable stream per stream the method declares (the original's four
    generators; sdnet_lvv's area pairs), skipping those the run has no data for (its Batch
    fields stay None). Rotation of everything but image-mask pairs follows `augment_unlabelled`."""
    mask_order = 1 if cfg.mask_interpolation == "bilinear" else 0
    streams = {}
    for stream in method.streams:
        arrays = stream.source(labelled, data)
        if arrays is None:
            continue
        augment = cfg.augment and (stream.pairs or cfg.augment_unlabelled)
        orders = tuple(mask_order if name in stream.masks else 1 for name in stream.fields)
        rotation = Rotation(cfg.rotation_range, orders) if augment else None
        streams[stream.name] = ArrayStream(arrays, cfg.batch_size, stream_seed(data.seed, stream.name), rotation,
                                           full_batches=not cfg.short_last_batch, names=stream.fields)
    return streams


def next_batch(streams) -> Batch:
    values = {}
    for stream in streams.values():
        batch = next(stream)
        values.update(zip(stream.names, batch if len(stream.names) > 1 else (batch,)))
    return Batch(**values)


def calibration_images(data: TrainingData, seed, limit=1000):
    """The training images recomputed batch-norm statistics (`batchnorm_statistics=recomputed`)
    describe, as stored (unaugmented), at most `limit`, in a fixed order: every training image of
    the split where the data hold them (`batchnorm_images=split`), else those the segmentation
    path learns from (labelled and unlabelled)."""
    if data.all_training_images is not None:
        images = data.all_training_images.images
        return images[np.random.default_rng([seed, 11]).permutation(len(images))[:limit]]
    unlabelled = data.unlabelled
    images = np.concatenate([data.labelled.images] + ([unlabelled.images] if unlabelled is not None else []))
    return images[np.random.default_rng([seed, 11]).permutation(len(images))[:limit]]


class EpochLoop:
    def __init__(self, method: Method, data: TrainingData, cfg: SDNetConfig, folder: RunFolder, structures,
                 name, image_every=0, image_writer=None):
        self.method, self.data, self.cfg, self.folder = method, data, cfg, folder
        self.structures, self.name, self.image_every = tuple(structures), name, image_every
        # image_writer(method, validation Data, folder, tag): example figures every `image_every`
        # epochs, given by the caller (the figures live in sdnet.reporting, above this package)
        self.image_writer = image_writer
        self.rng = np.random.default_rng([cfg.seed, 7])
        self.log = TrainingLog(folder.path, name, self.epochs_per_phase())
        self._timed = False

    @property
    def iterations(self):
        """What runs the method's train_step: compiled into one program per iteration or not
        (`engine`), made at the first step."""
        if not hasattr(self, "_iterations"):
            self._iterations = iteration_runner(self.method)
        return self._iterations

    def epochs_per_phase(self):
        """`cfg.epochs`; with a fixed number of batches per epoch (equal budgets), a method's
        phases share the epochs."""
        if self.cfg.batches_per_epoch:
            return max(1, math.ceil(self.cfg.epochs / self.method.num_phases()))
        return self.cfg.epochs

    def identity(self) -> dict:
        """What a checkpoint records of its run, so that one copied into another run's folder
        is refused rather than resumed under the wrong name and seed."""
        return {"name": self.name, "seed": self.cfg.seed, "config": self.cfg.to_dict()}

    def check_checkpoint_is_ours(self, recorded):
        from sdnet.training.checkpoint import CheckpointError
        from sdnet.training.folder import differing_keys, with_new_fields

        if recorded is None:            # written before checkpoints named their run
            return
        ours = self.identity()
        differing = [k for k in ("name", "seed") if recorded.get(k) != ours[k]]
        differing += [f"config.{k}" for k in differing_keys(with_new_fields(recorded.get("config") or {}),
                                                            ours["config"])]
        if differing:
            raise CheckpointError(
                f"{self.folder.checkpoint_path}: the checkpoint belongs to another run ({recorded.get('name')}, seed "
                f"{recorded.get('seed')}; differing: {', '.join(differing)}); delete it to train {self.name} "
                "from its first epoch")

    def batches_per_epoch(self, streams):
        """`cfg.batches_per_epoch`, or ceil(max(#labelled, #unlabelled) / batch), the original's data_len."""
        if self.cfg.batches_per_epoch:
            return self.cfg.batches_per_epoch
        sizes = [len(streams["labelled"].order)] + ([len(streams["unlabelled"].order)] if "unlabelled" in streams else [])
        return int(math.ceil(max(sizes) / self.cfg.batch_size))

    def calibration_images(self):
        if not hasattr(self, "_calibration"):
            self._calibration = calibration_images(self.data, self.cfg.seed)
        return self._calibration

    def fit(self, stop_after_epochs=None):
        """Train (or resume); returns the final state, or None when `stop_after_epochs` epochs
        were trained in this call before the end (an interruption, for tests)."""
        method, cfg = self.method, self.cfg
        state = {"phase": 0, "epoch": 0, "early_stopping": None, "streams": None, "best_val": -1.0,
                 "wall_s": 0.0, "stopped": False, "epochs_trained": 0}
        state["run"] = self.identity()
        saved = load_checkpoint(self.folder.checkpoint_path)
        if saved is not None:
            arrays, state = saved
            self.check_checkpoint_is_ours(state.get("run"))
            method.set_state(arrays)
            self.rng.bit_generator.state = state["rng"]
            log.info("%s: resuming at phase %d epoch %d", self.name, state["phase"], state["epoch"])
        epochs_here = 0
        while state["phase"] < method.num_phases():
            labelled = method.on_phase_start(state["phase"], self.data, self.folder.path)
            streams = make_streams(method, labelled, self.data, cfg)
            stopper = EarlyStopping(cfg.patience, cfg.min_delta)
            if state["streams"] is not None:
                for name, stream in streams.items():
                    stream.load_state(state["streams"][name])
                stopper.load_state(state["early_stopping"])
            while state["epoch"] < self.epochs_per_phase() and not state["stopped"]:
                if stop_after_epochs is not None and epochs_here >= stop_after_epochs:
                    return None
                self._epoch(streams, stopper, state)
                epochs_here += 1
            state.update(phase=state["phase"] + 1, epoch=0, stopped=False, streams=None, early_stopping=None)
            if state["phase"] < method.num_phases():
                save_checkpoint(self.folder.checkpoint_path, method.get_state(), state)
        return state

    def _epoch(self, streams, stopper, state):
        from sdnet.evaluation import validation_dice

        method, start = self.method, time.time()
        method.on_epoch_start(state["epoch"])
        losses = self._train_epoch(streams, state)
        if self.cfg.batchnorm_statistics == "recomputed":
            recalibrate_batchnorm(method.mask_network(), self.calibration_images(), self.cfg.batch_size,
                                  method.training_mode_forward())
        # one prediction of the validation images for the score and the diagnostics: each pass
        # costs about a sixth of a U-Net epoch's 100 steps on a CPU
        predicted = method.segment(self.data.validation.images)
        val_dice = validation_dice(method, self.data.validation, predicted=predicted)
        values = {"val_dice": val_dice, "val_loss": 1 - val_dice, **losses,
                  **method.on_validation_end(self.data.validation, self.structures, predicted)}
        _, stop = stopper.update(1.0 - val_dice)
        if val_dice > state["best_val"]:
            state["best_val"], state["best_epoch"] = val_dice, state["epochs_trained"]
            method.save_weights(self.folder.weights_dir("best"))
        state["wall_s"] += time.time() - start
        self.log.write(state["phase"], state["epoch"], values, losses=tuple(losses))
        self._maybe_images(state)
        method.on_epoch_end(state["epoch"], values)
        state["epoch"] += 1
        state["epochs_trained"] += 1
        state["stopped"] = stop
        state.update(early_stopping=stopper.state(), rng=self.rng.bit_generator.state,
                     streams={k: s.state() for k, s in streams.items()})
        save_checkpoint(self.folder.checkpoint_path, method.get_state(), state)

    def _train_epoch(self, streams, state):
        """One epoch; the next batch is prepared in a thread while the model trains. Prefetching
        stops at the epoch's last batch, so the streams' state at the checkpoint is exact."""
        totals = {}
        n = self.batches_per_epoch(streams)
        bar = progress(range(n), desc=f"{self.name} epoch {state['epoch'] + 1}/{self.epochs_per_phase()}", leave=False)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(next_batch, streams)
            for i in bar:
                batch = pending.result()
                if i + 1 < n:
                    pending = pool.submit(next_batch, streams)
                if i == 1:                 # step 0 compiles
                    timer = time.time()
                for k, v in self.iterations.step(batch, self.rng).items():
                    totals.setdefault(k, []).append(v)
                if i == STEPS_TIMED and not self._timed:
                    self._project((time.time() - timer) / STEPS_TIMED, n, state)
        self.iterations.sync()          # before validation and the checkpoint read the variables
        return {k: float(np.mean(v)) for k, v in totals.items()}

    def _project(self, seconds_per_step, steps, state):
        """Say early how long this run will take at the measured pace; warn on a CPU when it is
        more than an hour (the paper preset is meant for a GPU)."""
        from sdnet import hardware

        self._timed = True
        epochs_left = self.epochs_per_phase() * (self.method.num_phases() - state["phase"]) - state["epoch"]
        hours = seconds_per_step * steps * epochs_left / 3600
        slow = hardware.accelerator() is None and hours > 1
        log.log(logging.WARNING if slow else logging.INFO,
                "%s: %.2f s per step, %.1f min per epoch of %d steps: up to %.1f h for the %d epochs left%s",
                self.name, seconds_per_step, seconds_per_step * steps / 60, steps, hours, epochs_left,
                " on this CPU: runs this long are meant for a GPU" if slow else "")

    def _maybe_images(self, state):
        if self.image_writer and self.image_every and (state["epoch"] + 1) % self.image_every == 0:
            self.image_writer(self.method, self.data.validation, self.folder.file("images"),
                              f"phase{state['phase']}_epoch{state['epoch'] + 1:04d}")
