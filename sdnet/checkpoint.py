"""Atomic, self-contained checkpoints: model state arrays plus a JSON of everything else
(epoch, early stopping, stream and generator states) in one .npz, replaced in one rename."""
import json
import os
import tempfile

import numpy as np

META_KEY = "__meta__"


def save_checkpoint(path, arrays: dict, meta: dict):
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays, **{META_KEY: np.array(json.dumps(meta))})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load_checkpoint(path):
    """(arrays, meta), or None when there is no checkpoint."""
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files if k != META_KEY}
        meta = json.loads(str(f[META_KEY]))
    return arrays, meta


class EarlyStopping:
    """Keras 2's EarlyStopping on a loss to minimise: improvement means current < best - min_delta."""

    def __init__(self, patience, min_delta):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.wait = float("inf"), 0

    def update(self, value) -> tuple[bool, bool]:
        """(improved, stop)."""
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return True, False
        self.wait += 1
        return False, self.wait >= self.patience

    def state(self):
        return {"best": self.best, "wait": self.wait}

    def load_state(self, state):
        self.best, self.wait = float(state["best"]), int(state["wait"])
