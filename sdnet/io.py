"""Files that are either complete or absent: every checkpoint, cache, result and report is
written through `atomic_write`, so a run killed mid-write never leaves half a file behind."""
from __future__ import annotations

import contextlib
import json
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="w", sync=False):
    """`with atomic_write(path) as f:` writes a temporary file beside `path` and renames it over
    `path` when the block ends without an error (`sync`: fsync first, for checkpoints)."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"newline": ""})) as f:
            yield f
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path, value):
    with atomic_write(path) as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.write("\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def check_writable_folder(path, what):
    """Create `path` if needed and prove it writable, or raise ValueError naming it: an --out that
    is a file, or a read-only cache, is reported before any work starts."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{path}: the {what} is a file, not a folder")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise ValueError(f"{path}: cannot write to the {what} ({err.strerror or err})") from None
