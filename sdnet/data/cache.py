"""On-disk cache of preprocessed arrays, keyed by the preprocessing parameters and the source
files' sizes and modification times: a change of either rebuilds, nothing else does."""
import hashlib
import json
import logging
import os
import zipfile

import numpy as np

from sdnet.io import atomic_write

log = logging.getLogger(__name__)


def default_cache_dir():
    """$SDNET_CACHE, else $XDG_CACHE_HOME/sdnet, else ~/.cache/sdnet: never beside the data,
    which is often read-only."""
    if os.environ.get("SDNET_CACHE"):
        return os.environ["SDNET_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sdnet")


def cache_key(params: dict, files) -> str:
    stats = []
    for path in sorted(files):
        st = os.stat(path)
        stats.append([os.path.basename(path), st.st_size, st.st_mtime_ns])
    blob = json.dumps({"params": params, "files": stats}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_cached(path):
    """The arrays of a cache file, or None when it is missing or unreadable (then rebuilt)."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        log.warning("cache file %s is unreadable (%s); rebuilding it", path, err)
        os.remove(path)
        return None


def save_cached(path, arrays: dict):
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)
