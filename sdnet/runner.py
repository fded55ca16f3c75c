"""Training runs: one method on one labelled fraction of one split, resumable at every epoch.

A run folder `runs/<method>/l<fraction>/split<k>/` holds config.json, training_log.csv,
checkpoint.npz (everything needed to continue: weights, BN statistics, the four optimisers,
seed generators, data streams, the mask pool, early stopping), best/ and last/ weights,
per-volume test scores and example images. A run whose result.json exists is finished and is
never trained again.
"""
from __future__ import annotations

import csv
import json
import logging
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from sdnet.checkpoint import EarlyStopping, load_checkpoint, save_checkpoint
from sdnet.config import SDNetConfig
from sdnet.data.augment import Rotation
from sdnet.data.dataset import Data
from sdnet.data.semi import TrainingData, load_training_data
from sdnet.data.streams import ArrayStream
from sdnet.progress import progress

log = logging.getLogger(__name__)

STREAMS = ("labelled", "unlabelled", "real_masks", "discriminator_images")


@dataclass(frozen=True)
class RunSpec:
    method: str
    fraction: float
    split: int
    seed: int = 1

    @property
    def name(self):
        return f"{self.method}/l{self.fraction:g}/split{self.split}"


def run_folder(out, spec: RunSpec):
    seed = "" if spec.seed == 1 else f"_seed{spec.seed}"
    return os.path.join(out, "runs", spec.method, f"l{spec.fraction:g}", f"split{spec.split}{seed}")


def seed_everything(seed):
    """Keras, numpy and Python seeds; TensorFlow op determinism when it is the backend."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


class Run:
    """Trains, checkpoints, resumes and evaluates one RunSpec."""

    def __init__(self, spec: RunSpec, cfg: SDNetConfig, loader, folder, image_every=0):
        self.spec, self.cfg, self.loader, self.folder = spec, cfg.replace(seed=spec.seed), loader, folder
        self.image_every = image_every
        self.checkpoint_path = os.path.join(folder, "checkpoint.npz")
        self.result_path = os.path.join(folder, "result.json")

    # -- set-up ---------------------------------------------------------------------------------
    def _build(self):
        from sdnet.baselines import build_model

        seed_everything(self.cfg.seed)
        self.model = build_model(self.spec.method, self.cfg)
        self.data: TrainingData = load_training_data(
            self.loader, self.spec.split, self.spec.fraction, seed=self.cfg.seed,
            max_unlabelled=self.cfg.max_unlabelled, use_unlabelled=self.model.needs_unlabelled,
            discriminator_masks=self.cfg.discriminator_masks)
        self.rng = np.random.default_rng([self.cfg.seed, 7])
        self.phases = 1 + (self.cfg.self_train_rounds if self.spec.method == "selftrain" else 0)

    def _make_streams(self, labelled: Data):
        """One seeded stream per input of the training step (the original's four generators)."""
        cfg, bs, d = self.cfg, self.cfg.batch_size, self.data
        mask_order = 1 if cfg.mask_interpolation == "bilinear" else 0
        seeds = iter(np.random.SeedSequence([cfg.seed, 11]).generate_state(4))

        def stream(arrays, *orders, augment=cfg.augment):
            rotation = Rotation(cfg.rotation_range, orders) if augment else None
            return ArrayStream(arrays, bs, next(seeds), rotation, full_batches=not cfg.short_last_batch)

        streams = {"labelled": stream([labelled.images, labelled.masks], 1, mask_order)}
        if self.model.needs_unlabelled and self.spec.method != "selftrain":
            augment = cfg.augment and cfg.augment_unlabelled
            streams["unlabelled"] = stream([d.unlabelled.images], 1, augment=augment)
            streams["real_masks"] = stream([d.discriminator_masks.masks], mask_order, augment=augment)
            streams["discriminator_images"] = stream([d.discriminator_images.images], 1, augment=augment)
        return streams

    def _batches_per_epoch(self, streams):
        """ceil(max(#labelled, #unlabelled) / batch), as the original's data_len."""
        sizes = [len(streams["labelled"].order)]
        if "unlabelled" in streams:
            sizes.append(len(streams["unlabelled"].order))
        n = int(math.ceil(max(sizes) / self.cfg.batch_size))
        return min(n, self.cfg.max_batches_per_epoch) if self.cfg.max_batches_per_epoch else n

    def _next_batch(self, streams):
        from sdnet.model import Batch

        images, masks = next(streams["labelled"])
        if "unlabelled" not in streams:
            return Batch(images=images, masks=masks)
        return Batch(images=images, masks=masks, unlabelled=next(streams["unlabelled"]),
                     real_masks=next(streams["real_masks"]),
                     discriminator_images=next(streams["discriminator_images"]))

    def _phase_labelled(self, phase) -> Data:
        """Phase 0: the labelled subset. Self-training phase k: plus pseudo-labels made at its start
        (saved, so a resumed run uses the same ones)."""
        if phase == 0:
            return self.data.labelled
        path = os.path.join(self.folder, f"pseudo_labels_round{phase}.npz")
        pool = self.data.unlabelled
        if os.path.exists(path):
            with np.load(path) as f:
                masks = f["masks"].astype(np.float32)
        else:
            masks = self.model.pseudo_label(pool.images)
            np.savez_compressed(path, masks=masks.astype(np.uint8))
        return self.data.labelled.merge(Data(pool.images, masks, pool.index, pool.scanner, pool.volume))

    # -- the loop -------------------------------------------------------------------------------
    def execute(self, stop_after_epochs=None):
        """Train (or resume) and evaluate; returns the result dict. `stop_after_epochs` ends the
        process's work after that many epochs, as an interruption would (for tests)."""
        if os.path.exists(self.result_path):
            with open(self.result_path) as f:
                return json.load(f)
        os.makedirs(self.folder, exist_ok=True)
        self._build()
        state = {"phase": 0, "epoch": 0, "early_stopping": None, "streams": None, "best_val": -1.0,
                 "wall_s": 0.0, "stopped": False, "epochs_trained": 0}
        saved = load_checkpoint(self.checkpoint_path)
        if saved is not None:
            arrays, state = saved
            self.model.set_state(arrays)
            self.rng.bit_generator.state = state["rng"]
            log.info("%s: resuming at phase %d epoch %d", self.spec.name, state["phase"], state["epoch"])
        epochs_done_here = 0
        while state["phase"] < self.phases:
            streams = self._make_streams(self._phase_labelled(state["phase"]))
            stopper = EarlyStopping(self.cfg.patience, self.cfg.min_delta)
            if state["streams"] is not None:
                for name, s in streams.items():
                    s.load_state(state["streams"][name])
                stopper.load_state(state["early_stopping"])
            while state["epoch"] < self.cfg.epochs and not state["stopped"]:
                if stop_after_epochs is not None and epochs_done_here >= stop_after_epochs:
                    return None
                start = time.time()
                losses = self._train_epoch(streams, state)
                val_dice = self._validate()
                losses.update(self.model.diagnostics(self.data.validation, self.loader.structures))
                _, stop = stopper.update(1.0 - val_dice)
                if val_dice > state["best_val"]:
                    state["best_val"] = val_dice
                    self.model.save_weights(self._weights_dir("best"))
                state["wall_s"] += time.time() - start
                self._log_epoch(state, losses, val_dice)
                self._maybe_images(state)
                state["epoch"] += 1
                state["epochs_trained"] += 1
                state["stopped"] = stop
                state.update(early_stopping=stopper.state(), rng=self.rng.bit_generator.state,
                             streams={k: s.state() for k, s in streams.items()})
                save_checkpoint(self.checkpoint_path, self.model.get_state(), state)
                epochs_done_here += 1
            state.update(phase=state["phase"] + 1, epoch=0, stopped=False, streams=None, early_stopping=None)
            if state["phase"] < self.phases:
                save_checkpoint(self.checkpoint_path, self.model.get_state(), state)
        return self._finish(state)

    def _train_epoch(self, streams, state):
        """One epoch; the next batch is prepared in a thread while the model trains. Prefetching
        stops at the epoch's last batch, so the streams' state at the checkpoint is exact."""
        totals = {}
        n = self._batches_per_epoch(streams)
        bar = progress(range(n), desc=f"{self.spec.name} epoch {state['epoch'] + 1}/{self.cfg.epochs}", leave=False)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(self._next_batch, streams)
            for i in bar:
                batch = pending.result()
                if i + 1 < n:
                    pending = pool.submit(self._next_batch, streams)
                for k, v in self.model.train_batch(batch, self.rng).items():
                    totals.setdefault(k, []).append(v)
        return {k: float(np.mean(v)) for k, v in totals.items()}

    def _validate(self):
        from sdnet.evaluation import validation_dice

        return validation_dice(self.model, self.data.validation)

    @staticmethod
    def _write_scores(rows, path):
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            names = list(rows[0]["original"])
            writer.writerow(["volume"] + [f"original_{k}" for k in names] +
                            [f"standard_{k}" for k in rows[0]["standard"]])
            for r in rows:
                writer.writerow([r["volume"]] + [f"{r['original'][k]:.6f}" for k in names] +
                                [f"{v:.6f}" for v in r["standard"].values()])

    def _weights_dir(self, which):
        folder = os.path.join(self.folder, which)
        os.makedirs(folder, exist_ok=True)
        return folder

    def _log_epoch(self, state, losses, val_dice):
        path = os.path.join(self.folder, "training_log.csv")
        row = {"phase": state["phase"], "epoch": state["epoch"], "val_dice": val_dice,
               "val_loss": 1 - val_dice, **losses}
        # a resumed run may have logged epochs after its last checkpoint: drop them
        kept, fields = [], []
        if os.path.exists(path):
            with open(path) as f:
                reader = csv.DictReader(f)
                kept = [r for r in reader if (int(r["phase"]), int(r["epoch"])) < (state["phase"], state["epoch"])]
                fields = list(reader.fieldnames or [])
        fields += [k for k in row if k not in fields]      # the columns come from the losses logged
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(kept + [row])
        log.info("%s epoch %d: %s", self.spec.name, state["epoch"] + 1,
                 ", ".join(f"{k}={v:.4f}" for k, v in row.items() if isinstance(v, float)))
        self._tensorboard(state, row)

    def _tensorboard(self, state, row):
        """TensorBoard scalars, when the backend is TensorFlow and tensorboard is installed."""
        import importlib.util
        import keras

        if keras.backend.backend() != "tensorflow" or importlib.util.find_spec("tensorboard") is None:
            return
        import tensorflow as tf

        if not hasattr(self, "_tb"):
            self._tb = tf.summary.create_file_writer(os.path.join(self.folder, "tensorboard"))
        step = state["phase"] * self.cfg.epochs + state["epoch"]
        with self._tb.as_default():
            for k, v in row.items():
                if isinstance(v, float):
                    tf.summary.scalar(k, v, step=step)
        self._tb.flush()

    def _maybe_images(self, state):
        if self.image_every and (state["epoch"] + 1) % self.image_every == 0:
            from sdnet.plots import save_examples

            save_examples(self.model, self.data.validation, os.path.join(self.folder, "images"),
                          f"phase{state['phase']}_epoch{state['epoch'] + 1:04d}")

    # -- evaluation -----------------------------------------------------------------------------
    def _finish(self, state):
        from sdnet.evaluation import evaluate, summarise
        from sdnet import hardware

        self.model.save_weights(self._weights_dir("last"))
        evaluations = {"last": evaluate(self.model, self.data.test, self.loader.structures)}
        if os.path.exists(os.path.join(self.folder, "best")):
            self.model.load_weights(os.path.join(self.folder, "best"))
            evaluations["best"] = evaluate(self.model, self.data.test, self.loader.structures)
        rows = evaluations[self.cfg.test_weights]
        for weights, scores in evaluations.items():
            self._write_scores(scores, os.path.join(self.folder, f"test_scores_{weights}.csv"))
        result = {"spec": self.spec.__dict__, "epochs_trained": state["epochs_trained"],
                  "best_val_dice": state["best_val"], "test_weights": self.cfg.test_weights,
                  "wall_s": state["wall_s"], "optimizer_iterations": self.model.optimizer_iterations(),
                  "hardware": hardware.describe(), "notes": self.data.notes,
                  "labelled_images": self.data.labelled.size(),
                  "labelled_subjects": self.data.labelled.volumes(),
                  "unlabelled_images": 0 if self.data.unlabelled is None else self.data.unlabelled.size(),
                  "summary": {p: summarise(rows, p) for p in ("original", "standard")},
                  "summary_by_weights": {w: {p: summarise(r, p) for p in ("original", "standard")}
                                         for w, r in evaluations.items()},
                  "volumes": rows, "volumes_by_weights": evaluations}
        with open(self.result_path + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(self.result_path + ".tmp", self.result_path)
        if os.path.exists(self.checkpoint_path):
            os.remove(self.checkpoint_path)     # last/ and best/ keep the weights
        return result
