"""Where one SDNet iteration's time goes: each of the five updates (train_on_batch of a wrapper)
and the predictions between them, timed call by call, against the whole iteration.

    python benchmarks/profile_step.py --presets tiny quick          # the CPU: per-call overhead
    KERAS_BACKEND=jax python benchmarks/profile_step.py --presets paper

What is not inside a timed call (host-side batching, the mask pool, z draws, Python between the
calls) is the iteration's time minus the calls' sum. On a GPU a call's time includes waiting for
the device (train_on_batch returns numbers), so the sum over calls is the device work plus the
launch and transfer gaps of each call.
"""
import argparse
import time
from collections import defaultdict

import numpy as np


def profile(preset, steps):
    from sdnet.config import get_preset
    from sdnet.methods import build_method
    from sdnet.methods.base import Batch

    cfg = get_preset(preset, num_masks=3)
    model = build_method("sdnet", cfg)
    rng = np.random.default_rng(0)
    size, bs = cfg.image_size, cfg.batch_size
    x = rng.uniform(-1, 1, (bs, size, size, 1)).astype("float32")
    m = np.zeros((bs, size, size, 3), "float32")
    m[:, size // 4: size // 2, size // 4: size // 2, 1] = 1
    batch = Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x)
    totals = defaultdict(float)

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            out = function(*args, **kwargs)
            totals[name] += time.perf_counter() - start
            return out
        return wrapper

    train, predict_masks, training_mode = model._train, model.predict_masks, model.training_mode_masks
    model._train = lambda name, *a, **k: timed(f"update {name}", train)(name, *a, **k)
    model.predict_masks = timed("prediction of masks", predict_masks)
    model.training_mode_masks = timed("training-mode masks", training_mode)
    model.train_step(batch, rng)                   # compile
    totals.clear()
    start = time.perf_counter()
    for _ in range(steps):
        model.train_step(batch, rng)
    whole = (time.perf_counter() - start) / steps
    return whole, {k: v / steps for k, v in totals.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["tiny", "quick"])
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args(argv)
    import keras

    from sdnet import hardware

    print(f"backend {keras.backend.backend()}; {hardware.describe()['cpu']}")
    print("| preset | call | ms per iteration | share of the iteration |\n|---|---|---|---|")
    for preset in args.presets:
        whole, calls = profile(preset, args.steps)
        for name, seconds in sorted(calls.items(), key=lambda item: -item[1]):
            print(f"| {preset} | {name} | {1000 * seconds:.1f} | {100 * seconds / whole:.0f} % |")
        rest = whole - sum(calls.values())
        print(f"| {preset} | outside the calls | {1000 * rest:.1f} | {100 * rest / whole:.0f} % |")
        print(f"| {preset} | **whole iteration** | **{1000 * whole:.1f}** | 100 % |", flush=True)


if __name__ == "__main__":
    main()
