"""Where an epoch's time goes on top of its training steps: recomputing the batch-norm statistics
(`batchnorm_statistics=recomputed`: training-mode passes over up to 1,000 training images in
batches of the batch size), predicting the validation images, and the per-epoch diagnostics
(the training-mode pass over them, D_M's scores, SDNet's anatomy occupancy).

    python benchmarks/epoch_parts.py --preset cpu --methods unet sdnet
    OMP_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 python benchmarks/epoch_parts.py   # one core a run

Random images of the preset's size: the time does not depend on what they show. The steps are
the loop's own (`sdnet.methods.engine.iteration_runner`), the first (compilation) left out.
"""
import argparse
import time
from types import SimpleNamespace

import numpy as np


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def profile(method_name, preset, steps, calibration_images, validation_images):
    from sdnet.config import get_preset
    from sdnet.evaluation import validation_dice
    from sdnet.methods import build_method
    from sdnet.methods.base import Batch
    from sdnet.methods.engine import iteration_runner
    from sdnet.nn.precise_bn import recalibrate_batchnorm

    cfg = get_preset(preset, num_masks=3)
    method = build_method(method_name, cfg)
    rng = np.random.default_rng(0)
    size, bs = cfg.image_size, cfg.batch_size
    images = rng.uniform(-1, 1, (max(calibration_images, validation_images, bs), size, size, 1)).astype("float32")
    masks = np.zeros(images.shape[:3] + (3,), "float32")
    masks[:, size // 4: size // 2, size // 4: size // 2, 1] = 1
    batch = Batch(images=images[:bs], masks=masks[:bs], unlabelled=images[:bs], real_masks=masks[:bs],
                  discriminator_images=images[:bs])
    iterations = iteration_runner(method)
    iterations.step(batch, rng)                                        # compilation
    iterations.sync()
    validation = SimpleNamespace(images=images[:validation_images], masks=masks[:validation_images])
    forward = method.training_mode_forward()
    recalibrate_batchnorm(method.mask_network(), images[:2 * bs], bs, forward)     # compilation
    method.on_validation_end(validation, ("MYO", "LV", "RV"))                      # compilation
    predicted = method.segment(validation.images)

    def read_statistics():
        """What the statistics' pass does besides its forward passes: read every batch-norm layer's
        moving mean and variance back after each batch."""
        import keras

        from sdnet.nn.precise_bn import batchnorm_layers

        variables = [v for layer in batchnorm_layers(method.mask_network())
                     for v in (layer.moving_mean, layer.moving_variance)]
        for _ in range(calibration_images // bs):
            [keras.ops.convert_to_numpy(v.value) for v in variables]

    def train():
        for _ in range(steps):
            iterations.step(batch, rng)
        iterations.sync()

    return {
        f"{steps} training steps": timed(train),
        f"batch-norm statistics from {calibration_images} images":
            timed(lambda: recalibrate_batchnorm(method.mask_network(), images[:calibration_images], bs, forward)),
        "  of which reading the statistics back (not added to the epoch)": timed(read_statistics),
        f"validation prediction, {validation_images} images":
            timed(lambda: validation_dice(method, validation, predicted=method.segment(validation.images))),
        "diagnostics": timed(lambda: method.on_validation_end(validation, ("MYO", "LV", "RV"), predicted)),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu")
    p.add_argument("--methods", nargs="+", default=["unet", "sdnet"])
    p.add_argument("--steps", type=int, default=100, help="training steps timed (an epoch of the equal-terms table)")
    p.add_argument("--calibration-images", type=int, default=1000)
    p.add_argument("--validation-images", type=int, default=300, help="ACDC split 0's 15 validation patients: ~300")
    args = p.parse_args(argv)
    import keras

    from sdnet import hardware

    print(f"backend {keras.backend.backend()}; {hardware.describe()['cpu']}; preset {args.preset}")
    print("| method | part | s | share of the epoch |\n|---|---|---|---|")
    for name in args.methods:
        parts = profile(name, args.preset, args.steps, args.calibration_images, args.validation_images)
        whole = sum(seconds for part, seconds in parts.items() if not part.startswith("  of which"))
        for part, seconds in parts.items():
            print(f"| {name} | {part} | {seconds:.1f} | {100 * seconds / whole:.0f} % |")
        print(f"| {name} | **epoch** | **{whole:.1f}** | 100 % |", flush=True)


if __name__ == "__main__":
    main()
