"""Progress bars for long work (tqdm), quiet when output is not a terminal or SDNET_QUIET is set."""
import os
import sys


def progress(iterable, total=None, desc=None, **kwargs):
    from tqdm.auto import tqdm

    disable = bool(os.environ.get("SDNET_QUIET")) or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, disable=disable, dynamic_ncols=True, **kwargs)
