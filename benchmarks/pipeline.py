"""Time the numpy input pipeline: the four augmented batches one SDNet step consumes.

    python benchmarks/pipeline.py [--size 224]

Compare with the step time of benchmarks/train_step.py: the runner prepares the next batch
in a thread while the model trains, so the step waits only if this is longer than a step.
"""
import argparse
import time

import numpy as np

from sdnet.data.augment import Rotation
from sdnet.data.streams import ArrayStream


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=50)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (200, args.size, args.size, 1)).astype(np.float32)
    masks = (rng.uniform(size=(200, args.size, args.size, 3)) > 0.8).astype(np.float32)
    print("| size | augmentation | ms per step (4 streams) |\n|---|---|---|")
    for augment in (False, True):
        rot = (lambda *o: Rotation(90.0, o)) if augment else (lambda *o: None)
        streams = [ArrayStream([images, masks], args.batch, 1, rot(1, 1)), ArrayStream([images], args.batch, 2, rot(1)),
                   ArrayStream([masks], args.batch, 3, rot(1)), ArrayStream([images], args.batch, 4, rot(1))]
        start = time.time()
        for _ in range(args.steps):
            for s in streams:
                next(s)
        print(f"| {args.size} | {'rotation' if augment else 'none'} | {1000 * (time.time() - start) / args.steps:.1f} |")


if __name__ == "__main__":
    main()
