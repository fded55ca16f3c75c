"""The training log of a run: a CSV row per epoch whose columns are whatever the method logged
(losses and diagnostics), TensorBoard scalars where available, and one line on the console."""
from __future__ import annotations

import csv
import importlib.util
import logging
import os

from sdnet.io import atomic_write

log = logging.getLogger("sdnet")


class TrainingLog:
    def __init__(self, folder, name, epochs_per_phase):
        self.path = os.path.join(folder, "training_log.csv")
        self.tensorboard_dir = os.path.join(folder, "tensorboard")
        self.name, self.epochs_per_phase = name, epochs_per_phase
        self._writer = None

    def write(self, phase, epoch, values: dict):
        """Append the row of (phase, epoch); rows a resumed run logged after its last checkpoint
        (phase, epoch at or after this one) are dropped. New keys become new columns."""
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
