"""Time to preprocess the shared ACDC copy from scratch and to reload the cache.
Targets on 2 cores: under 60 s from scratch, under 2 s from the cache.

    python benchmarks/preprocess.py [--data ../shared/data/ACDC/training]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "ACDC", "training")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT)
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        print(f"skipped: no ACDC data at {args.data}")
        return 0
    from sdnet.data.acdc import ACDCLoader

    with tempfile.TemporaryDirectory() as cache:
        start = time.time()
        data = ACDCLoader(args.data, cache_dir=cache).load_labelled_data(0, "all")
        scratch = time.time() - start
        size = data.size()
        del data  # 1.5 GB: keep only one copy in memory, as a training run does
        reloads = []
        for _ in range(3):
            start = time.time()
            ACDCLoader(args.data, cache_dir=cache).load_labelled_data(0, "all")
            reloads.append(time.time() - start)
        reload = float(np.median(reloads))
    print("| step | seconds | target |\n|---|---|---|")
    print(f"| preprocess {size} slices from scratch ({os.cpu_count()} cores) | {scratch:.1f} | < 60 |")
    print(f"| reload from cache (median of 3) | {reload:.2f} | < 2 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
