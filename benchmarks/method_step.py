"""What each method's training iteration costs at a preset: Table 1's compared methods (the
registry's) side by side, each in its own process (its own compile, its own threads), on one
batch of the preset's size of labelled images (and as many unlabelled ones where the method
reads them), run as a training run runs it (`iteration_runner`: the preset's engine). Beside the
time, each network's forward arithmetic per image (Conv2D and Dense layers, as
benchmarks/train_step.py counts it).

    python benchmarks/method_step.py --preset cpu
    python benchmarks/method_step.py --preset cpu --methods sdnet --set segmentor_filters=64
    python benchmarks/method_step.py --preset cpu --threads 1 --steps 30   # a run of `sdnet sweep --workers 2`

A run's cost is about its labelled updates times the step time, plus validation and, where
statistics are recomputed, one pass over up to `max_unlabelled` training images before each
validation (benchmarks/epoch_parts.py times those for SDNet); self-training also pseudo-labels its
unlabelled pool once per round (its step is the U-Net's). Time it on an idle machine: a second
job on the cores changes every row.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
from train_step import conv_flops, synthetic_batch, timed

from sdnet.methods.registry import compared_methods
from sdnet.sweep.executors import THREAD_VARIABLES

METHODS = compared_methods()


def bench(method_name, preset, steps, overrides):
    import keras
    from sdnet.config import get_preset, parse_overrides
    from sdnet.methods import build_method
    from sdnet.methods.engine import CompiledIteration, iteration_runner

    cfg = get_preset(preset, num_masks=3, **parse_overrides(overrides))
    method = build_method(method_name, cfg)
    rng = np.random.default_rng(0)
    batch = synthetic_batch(cfg, rng)
    iterations = iteration_runner(method)
    first_s, step_s = timed(lambda: iterations.step(batch, rng), steps)
    gflops = {name: conv_flops(network) / 1e9 for name, network in method.networks.items()}
    return {"method": method_name, "backend": keras.backend.backend(), "step_s": step_s, "first_s": first_s,
            "gflop_per_image": gflops,
            "reads_unlabelled": any("unlabelled" in stream.fields for stream in method.streams),
            "engine": "compiled" if isinstance(iterations, CompiledIteration) else "separate"}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="cpu")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--steps", type=int, default=20, help="timed iterations after the first")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="configuration overrides")
    p.add_argument("--threads", type=int, help="threads of each process (default: the library's own)")
    p.add_argument("--updates", type=int, default=4000,
                   help="labelled updates of the run the last column prices (equal-terms protocol: 40 x 100)")
    p.add_argument("--row", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.row:  # child process: one method, one JSON line
        print("ROW " + json.dumps(bench(args.row, args.preset, args.steps, args.set)), flush=True)
        return
    from sdnet import hardware
    from sdnet.config import get_preset

    env = dict(os.environ)
    if args.threads:
        env.update({key: str(args.threads) for key in THREAD_VARIABLES})
    settings = f"; settings: {' '.join(args.set)}" if args.set else ""
    print(f"CPU: {hardware.describe()['cpu']}; preset {args.preset}; threads: {args.threads or 'default'}; "
          f"{args.steps} timed iterations each, one method at a time{settings}")
    batch_size = get_preset(args.preset).batch_size
    print(f"| method | backend | engine | s a step | images a step | first step s | "
          f"steps of a {args.updates}-update run, min | forward GFLOP an image, by network |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.methods:
        child = subprocess.run([sys.executable, __file__, "--row", name, "--preset", args.preset, "--steps",
                                str(args.steps), "--set", *args.set], capture_output=True, text=True, env=env)
        rows = [json.loads(line[4:]) for line in child.stdout.splitlines() if line.startswith("ROW ")]
        if child.returncode or not rows:
            print(f"| {name} | failed: {child.stderr.strip().splitlines()[-1:]} |", flush=True)
            continue
        r = rows[0]
        images = f"{batch_size} + {batch_size}" if r["reads_unlabelled"] else f"{batch_size}"
        flops = ", ".join(f"{network} {value:.3f}" for network, value in r["gflop_per_image"].items())
        print(f"| {name} | {r['backend']} | {r['engine']} | {r['step_s']:.3f} | {images} | {r['first_s']:.1f} | "
              f"{args.updates * r['step_s'] / 60:.0f} | {flops} (sum {sum(r['gflop_per_image'].values()):.3f}) |",
              flush=True)


if __name__ == "__main__":
    main()
