"""Self-contained checkpoints: the model's state arrays plus a JSON of everything else (phase,
epoch, early stopping, stream and generator states) in one .npz, replaced in one rename."""
import json
import os
import zipfile

import numpy as np

from sdnet.io import atomic_write

META_KEY = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: the message names the file and what to do."""


def save_checkpoint(path, arrays: dict, meta: dict):
    with atomic_write(path, "wb", sync=True) as f:
        np.savez(f, **arrays, **{META_KEY: np.array(json.dumps(meta))})


def load_checkpoint(path):
    """(arrays, meta), or None when there is no checkpoint."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files if k != META_KEY}
            meta = json.loads(str(f[META_KEY]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(
            f"{path}: the checkpoint is unreadable ({type(err).__name__}: {err}). Delete it to restart "
            "this run from its first epoch (the other runs are not affected), or restore it from a "
            "backup to continue where it stopped") from None
    return arrays, meta
