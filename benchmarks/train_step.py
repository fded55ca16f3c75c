"""Speed and memory of SDNet's five-update training step and of a forward pass.

    python benchmarks/train_step.py                       # paper and quick presets, float32 and bf16
    KERAS_BACKEND=jax python benchmarks/train_step.py     # the same table on JAX

Prints a table: images/s of the full step (4 labelled + 4 unlabelled images), of a forward
pass (anatomy encoder + segmentor), forward GFLOP per image (counted from the layers), the
achieved GFLOP/s (a training step counted as 3x the forward cost of every image it pushes
through the encoders, segmentor and decoder), first-step (compile) time and peak resident memory.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def conv_flops(model):
    """Multiply-adds x 2 of every Conv2D and Dense layer, per sample, for one forward pass."""
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Conv2D):
            out = layer.output.shape
            k = layer.kernel.shape
            total += 2 * out[1] * out[2] * k[0] * k[1] * k[2] * k[3]
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
    return total


def bench(preset, precision, steps):
    import keras
    from sdnet.config import get_preset
    from sdnet.model import Batch, SDNet

    cfg = get_preset(preset, precision=precision)
    model = SDNet(cfg)
    rng = np.random.default_rng(0)
    bs, size = cfg.batch_size, cfg.image_size
    x = rng.uniform(-1, 1, (bs, size, size, 1)).astype("float32")
    m = np.zeros((bs, size, size, cfg.num_masks), "float32")
    m[:, size // 4: size // 2, size // 4: size // 2, 1] = 1
    batch = Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x)
    start = time.time()
    model.train_batch(batch, rng)
    compile_s = time.time() - start
    start = time.time()
    for _ in range(steps):
        model.train_batch(batch, rng)
    step_s = (time.time() - start) / steps
    model.predict_masks(x, batch_size=bs)
    start = time.time()
    for _ in range(steps):
        model.predict_masks(x, batch_size=bs)
    forward_s = (time.time() - start) / steps
    forward = conv_flops(model.anatomy_encoder) + conv_flops(model.segmentor)
    # every image of the step passes encoders, segmentor and decoder; 3x for forward + backward
    per_image = forward + conv_flops(model.modality_encoder) + conv_flops(model.decoder)
    step_flops = 3 * per_image * 2 * bs
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"backend": keras.backend.backend(), "preset": preset, "precision": precision,
            "step_s": step_s, "step_img_s": 2 * bs / step_s, "forward_img_s": bs / forward_s,
            "gflop_per_image": forward / 1e9, "gflops": step_flops / step_s / 1e9,
            "compile_s": compile_s, "peak_mb": peak_mb}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["quick", "paper"])
    p.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    p.add_argument("--steps", type=int, default=3)
    args = p.parse_args(argv)
    print("| backend | preset | precision | step s | step img/s | forward img/s | fwd GFLOP/img | "
          "step GFLOP/s | first step s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for preset in args.presets:
        for precision in args.precisions:
            r = bench(preset, precision, args.steps)
            print(f"| {r['backend']} | {preset} | {precision} | {r['step_s']:.2f} | {r['step_img_s']:.2f} | "
                  f"{r['forward_img_s']:.1f} | {r['gflop_per_image']:.1f} | {r['gflops']:.1f} | "
                  f"{r['compile_s']:.0f} | {r['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
