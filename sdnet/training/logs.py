"""The training log of a run: a CSV row per epoch whose columns are whatever the method logged
(losses and diagnostics), TensorBoard scalars where available, and one line on the console."""
from __future__ import annotations

import csv
import importlib.util
import logging
import os

import numpy as np

from sdnet.io import atomic_write

log = logging.getLogger("sdnet")
DIVERGENCE_FACTOR = 100      # a loss this many times its median over the earlier epochs is called diverged


def diverged(earlier_rows, values, keys, factor=DIVERGENCE_FACTOR) -> list:
    """[(key, value, median)] of the losses `keys` whose epoch mean is more than `factor` times their
    median over `earlier_rows` (at least three epochs with the column): an update that blew up
    (a mask discriminator whose loss went from 0.5 to 3e7) shows in a training loss long before
    the validation curve explains it."""
    found = []
    for key in keys:
        earlier = [float(r[key]) for r in earlier_rows if r.get(key) not in (None, "")]
        earlier = [v for v in earlier if np.isfinite(v)]
        value = values.get(key)
        if len(earlier) < 3 or not isinstance(value, float):
            continue
        median = float(np.median(earlier))
        if median > 0 and value > factor * median:
            found.append((key, value, median))
    return found


class TrainingLog:
    def __init__(self, folder, name, epochs_per_phase):
        self.path = os.path.join(folder, "training_log.csv")
        self.tensorboard_dir = os.path.join(folder, "tensorboard")
        self.name, self.epochs_per_phase = name, epochs_per_phase
        self._writer = None

    def write(self, phase, epoch, values: dict, losses=()):
        """Append the row of (phase, epoch); rows a resumed run logged after its last checkpoint
        (phase, epoch at or after this one) are dropped. New keys become new columns. A loss
        among `losses` far above its earlier epochs is warned about (`diverged`)."""
        row = {"phase": phase, "epoch": epoch, **values}
        kept, fields = [], []
        if os.path.exists(self.path):
            with open(self.path) as f:
                reader = csv.DictReader(f)
                kept = [r for r in reader if (int(r["phase"]), int(r["epoch"])) < (phase, epoch)]
                fields = list(reader.fieldnames or [])
        fields += [k for k in row if k not in fields]
        with atomic_write(self.path) as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(kept + [row])
        log.info("%s epoch %d: %s", self.name, epoch + 1,
                 ", ".join(f"{k}={v:.4f}" for k, v in values.items() if isinstance(v, float)))
        for key, value, median in diverged(kept, values, losses):
            log.warning("%s epoch %d: %s = %.3g, %.0fx its median over the earlier epochs (%.3g): an update "
                        "diverged (%s)", self.name, epoch + 1, key, value, value / median, median, self.path)
        self._tensorboard(phase * self.epochs_per_phase + epoch, values)

    def _tensorboard(self, step, values):
        """Scalars for TensorBoard, when the backend is TensorFlow and tensorboard is installed."""
        import keras

        if keras.backend.backend() != "tensorflow" or importlib.util.find_spec("tensorboard") is None:
            return
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.tensorboard_dir)
        with self._writer.as_default():
            for k, v in values.items():
                if isinstance(v, float):
                    tf.summary.scalar(k, v, step=step)
        self._writer.flush()
