"""How far the compiled iteration is from the separate calls, as numbers: the engine tests' own
cases (tests/methods/engine_cases.py: tiny preset, six iterations from one state, the pool
wrapped), each run through both executors, and the largest differences printed as a table. The
tests assert bounds; this shows what lies under them, per backend and graph setting, for
docs/FIDELITY.md.

    python benchmarks/engine_agreement.py                        # TensorFlow, no XLA, as the cpu preset's runs
    python benchmarks/engine_agreement.py --arithmetic-off       # ... with Grappler's arithmetic optimiser off
    python benchmarks/engine_agreement.py --xla
    KERAS_BACKEND=jax python benchmarks/engine_agreement.py
"""
import argparse
import contextlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "methods"))

CASES = (("unet", "predicted"), ("gan", "predicted"), ("sdnet", "predicted"), ("sdnet", "unsupervised"),
         ("sdnet_lvv", "unsupervised"))


def relative(a, b):
    scale = np.abs(a).max()
    difference = np.abs(a.astype("float64") - b).max()
    return difference / scale if scale else difference


def measure(method_name, fake_masks, xla, arithmetic_off):
    from engine_cases import STEPS, _variables_of, arithmetic_rewrites_off, bias_fed_to_batch_norm, trained

    rewrites = arithmetic_rewrites_off(xla) if arithmetic_off else contextlib.nullcontext()
    with rewrites:
        separate, separate_losses, _ = trained(method_name, fake_masks, "separate", STEPS, xla)
        compiled, compiled_losses, _ = trained(method_name, fake_masks, "compiled", STEPS, xla)
    losses = max(abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for a, b in zip(separate_losses, compiled_losses) for k in a)
    special = bias_fed_to_batch_norm(separate)
    rows = [(relative(a, b), id(v), v.path) for v, a, b in
            zip(separate.state_variables(), _variables_of(separate.get_state()), _variables_of(compiled.get_state()))]
    worst = max(rows)
    others = max((r for r in rows if r[1] not in special), default=(0.0, None, "-"))
    fed = sum(1 for r in rows if special.get(r[1]) == "adam step" and "bias" in r[2])
    fed_apart = sum(1 for r in rows if special.get(r[1]) == "adam step" and "bias" in r[2] and r[0] > 1e-5)
    pool = (np.abs(separate.pool.masks - np.asarray(compiled.pool.masks)).max()
            if hasattr(separate, "pool") else float("nan"))
    return (f"| {method_name} ({fake_masks}) | {losses:.1e} | {worst[0]:.1e} ({worst[2]}) | {others[0]:.1e} ({others[2]}) "
            f"| {fed_apart} of {fed} | {pool:.1e} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xla", action="store_true", help="TensorFlow: XLA-compile both executors")
    parser.add_argument("--arithmetic-off", action="store_true",
                        help="TensorFlow without XLA: Grappler's arithmetic optimiser off, as the tests run")
    parser.add_argument("--cases", nargs="+", default=[f"{m}:{f}" for m, f in CASES], metavar="METHOD:FAKES")
    args = parser.parse_args()
    import keras

    print(f"backend {keras.backend.backend()}, xla {args.xla}, arithmetic optimiser "
          f"{'off' if args.arithmetic_off else 'on'}; relative = largest difference / the variable's largest value")
    print("| case | losses, largest relative difference | state, largest relative difference | the same, less the "
          "biases fed to batch norm, their moments and moving means | biases fed to batch norm beyond 1e-5 "
          "| mask pool, largest difference |")
    print("|---|---|---|---|---|---|")
    for case in args.cases:
        method_name, fake_masks = case.split(":")
        print(measure(method_name, fake_masks, args.xla, args.arithmetic_off), flush=True)


if __name__ == "__main__":
    main()
