"""Speed and memory of SDNet's five-update training step, of a fused reference step and of a
forward pass.

    python benchmarks/train_step.py                       # paper and quick presets, float32 and bf16
    KERAS_BACKEND=jax python benchmarks/train_step.py     # the same table on JAX
    python benchmarks/train_step.py --presets paper --precisions float32 --set xla=false
    KERAS_BACKEND=jax python benchmarks/train_step.py --presets paper --precisions float32 --runs-per-device 4 --steps 20

Each row runs in its own process (clean compile time and peak memory). Columns: seconds and
images/s of the faithful step (4 labelled + 4 unlabelled images, the original's five updates)
run as separate calls (five train_on_batch, the reference) and as one compiled program
(`engine=compiled`, sdnet/methods/engine.py), and their ratio; seconds of a *fused reference* on the same networks and machine (one
generator update over all losses of the 8 images, then the discriminator update: what a bare
Keras 3 implementation would do) and the faithful/fused ratio; forward images/s (anatomy encoder
+ segmentor); forward GFLOP per image (counted from the Conv2D/Dense layers); achieved GFLOP/s
(a step counted as 3x the forward cost of the 8 images through encoders, segmentor and
decoder); first-step (compile) time; peak resident memory.
"""
import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


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


def fused_generator_trainer(model):
    """All generator-side losses of a labelled and an unlabelled batch in one wrapper, one Adam:
    supervised, unsupervised and both z-regressions share one pass through the anatomy encoder
    (the faithful step runs it once per trainer and again in inference for the z-regressor).
    A cost reference, not a training method: here the z-regression's gradient also reaches the
    anatomy encoder through s."""
    import keras
    from sdnet.nn.losses import dice_loss, model_output
    from sdnet.methods.base import compile_trainer

    cfg = model.cfg
    x_l, x_u = keras.Input(cfg.input_shape), keras.Input(cfg.input_shape)
    z_l, z_u = keras.Input((cfg.num_z,)), keras.Input((cfg.num_z,))
    s_l, rec_l, kl_l = model._encode_decode(x_l)
    s_u, rec_u, kl_u = model._encode_decode(x_u)
    z_again = [model.modality_encoder([s, model.decoder([s, z])])[0] for s, z in ((s_l, z_l), (s_u, z_u))]
    outputs = [model.segmentor(s_l), rec_l, kl_l, model.discriminator(model.segmentor(s_u)), rec_u, kl_u] + z_again
    trainer = keras.Model([x_l, x_u, z_l, z_u], outputs)
    losses = [dice_loss, "mae", model_output, "mse", "mae", model_output, "mae", "mae"]
    weights = [cfg.w_segmentation, cfg.w_reconstruction, cfg.w_kl, cfg.w_adversarial,
               cfg.w_reconstruction, cfg.w_kl, cfg.w_z_reconstruction, cfg.w_z_reconstruction]
    return compile_trainer(trainer, cfg, losses, weights)


def timed(function, steps):
    start = time.time()
    function()
    first = time.time() - start
    start = time.time()
    for _ in range(steps):
        function()
    return first, (time.time() - start) / steps


def synthetic_batch(cfg, rng):
    """A batch of the preset's size for every stream: random images, a square of one structure as
    the mask (the step benchmarks time arithmetic, not learning)."""
    from sdnet.methods.base import Batch

    bs, size = cfg.batch_size, cfg.image_size
    x = rng.uniform(-1, 1, (bs, size, size, 1)).astype("float32")
    m = np.zeros((bs, size, size, cfg.num_masks), "float32")
    m[:, size // 4: size // 2, size // 4: size // 2, 1] = 1
    return Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x)


def bench(preset, precision, steps, overrides):
    import keras
    from sdnet.config import get_preset, parse_overrides
    from sdnet.methods.engine import CompiledIteration
    from sdnet.methods.sdnet import SDNet

    cfg = get_preset(preset, precision=precision, **parse_overrides(overrides))
    model = SDNet(cfg)
    rng = np.random.default_rng(0)
    batch = synthetic_batch(cfg, rng)
    bs, x, m = cfg.batch_size, batch.images, batch.masks
    compile_s, step_s = timed(lambda: model.train_step(batch, rng), steps)
    compiled = CompiledIteration(model)
    compiled_compile_s, compiled_s = timed(lambda: compiled.step(batch, rng), steps)
    compiled.sync()                  # the variables back in the Keras objects for what follows

    fused = fused_generator_trainer(model)
    z, ones, zeros = rng.standard_normal((bs, cfg.num_z)).astype("float32"), np.ones((bs, 1)), np.zeros((bs, 1))

    def fused_step():
        model.before_update("supervised")        # D_M frozen, as for any generator-side update
        fused.train_on_batch([x, x, z, z], [m, x, zeros, ones, x, zeros, z, z])
        model._train_discriminator(m, model.predict_masks(x), rng)

    _, fused_s = timed(fused_step, steps)
    _, forward_s = timed(lambda: model.predict_masks(x, batch_size=bs), steps)
    forward = conv_flops(model.anatomy_encoder) + conv_flops(model.segmentor)
    per_image = forward + conv_flops(model.modality_encoder) + conv_flops(model.decoder)
    step_flops = 3 * per_image * 2 * bs
    return {"backend": keras.backend.backend(), "preset": preset, "precision": precision,
            "step_s": step_s, "compiled_s": compiled_s, "compiled_compile_s": compiled_compile_s,
            "fused_s": fused_s, "step_img_s": 2 * bs / step_s,
            "forward_img_s": bs / forward_s, "gflop_per_image": forward / 1e9,
            "gflops": step_flops / step_s / 1e9, "compile_s": compile_s,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["quick", "paper"])
    p.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="configuration overrides")
    p.add_argument("--runs-per-device", type=int, default=1, metavar="K",
                   help="K processes of each row at once (runs sharing one card, as `sdnet sweep --gpus 0,0,...`): "
                        "the table adds their images/s; use enough --steps for the timed parts to overlap")
    p.add_argument("--row", nargs=2, metavar=("PRESET", "PRECISION"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.row:  # child process: one configuration, one JSON line
        print("ROW " + json.dumps(bench(*args.row, args.steps, args.set)), flush=True)
        return
    if args.set:
        print("settings: " + " ".join(args.set))
    from sdnet import hardware

    print(f"CPU: {hardware.describe()['cpu']}")
    print("| backend | preset | precision | step s (separate) | step s (compiled) | separate / compiled | "
          "step img/s (compiled) | fused ref s | step / fused | forward img/s | fwd GFLOP/img | "
          "step GFLOP/s (compiled) | first step s (separate / compiled) | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for preset in args.presets:
        for precision in args.precisions:
            children = [subprocess.Popen([sys.executable, __file__, "--row", preset, precision, "--steps",
                                          str(args.steps), "--set", *args.set], stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True) for _ in range(args.runs_per_device)]
            outputs = [child.communicate() for child in children]
            rows = [json.loads(line[4:]) for out, _ in outputs for line in out.splitlines() if line.startswith("ROW ")]
            if any(child.returncode for child in children) or len(rows) < len(children):
                print(f"| {preset} | {precision} | failed: {outputs[0][1].strip().splitlines()[-1:]} |")
                continue
            r = rows[0]
            if len(rows) > 1:
                print(f"{len(rows)} runs at once: {sum(x['step_img_s'] * x['step_s'] / x['compiled_s'] for x in rows):.2f} images/s "
                      f"summed (compiled engine), {sum(x['gflops'] * x['step_s'] / x['compiled_s'] for x in rows):.1f} "
                      f"GFLOP/s summed; the first run's row:", flush=True)
            compiled_gflops = r["gflops"] * r["step_s"] / r["compiled_s"]
            print(f"| {r['backend']} | {preset} | {precision} | {r['step_s']:.3f} | {r['compiled_s']:.3f} | "
                  f"{r['step_s'] / r['compiled_s']:.2f} | {r['step_img_s'] * r['step_s'] / r['compiled_s']:.2f} | "
                  f"{r['fused_s']:.3f} | {r['step_s'] / r['fused_s']:.2f} | {r['forward_img_s']:.1f} | "
                  f"{r['gflop_per_image']:.1f} | {compiled_gflops:.1f} | "
                  f"{r['compile_s']:.0f} / {r['compiled_compile_s']:.0f} | {r['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
