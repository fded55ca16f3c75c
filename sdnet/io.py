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
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as err:       # named by the file asked for, not by the hidden temporary one
        raise type(err)(err.errno, f"cannot write it in {folder} ({err.strerror})", path) from None
    try:
        os.chmod(tmp, 0o666 & ~current_umask())     # mkstemp's 0600 would hide results from other users
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


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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


def check_writable_file(path, what, inputs=()):
    """An output file: not a folder, not one of `inputs`, in a folder that exists (made if
    needed) and is writable; ValueError naming it otherwise, before any work starts."""
    if os.path.isdir(path):
        raise ValueError(f"{path}: the {what} is a folder; give a file name")
    for source in inputs:
        if os.path.abspath(path) == os.path.abspath(source) or (
                os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source)):
            raise ValueError(f"{path}: the {what} is an input; inputs are never written over")
    check_writable_folder(os.path.dirname(os.path.abspath(path)), f"folder of the {what}")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ValueError(f"{path}: the {what} exists and is not writable")
