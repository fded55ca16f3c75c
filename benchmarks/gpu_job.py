"""The prepared job for a lent GPU: one call of at most 10 minutes that prints the train-step
benchmark table and then trains Table 1 runs at the paper preset for as long as the budget
allows, writing report.md, results.csv and every run's training_log.csv into --out.

    # on the device machine (JAX, no package index): the compact ACDC copy carried in device_cache/
    python benchmarks/gpu_job.py --data device_cache/ACDC_224 --out $OUT --budget-s 540 --wheels device_cache/wheels
    # the same job at tiny size on the phantom, on a CPU (what the test runs before GPU time is spent)
    python benchmarks/gpu_job.py --preset tiny --budget-s 150 --out /tmp/job --runs unet:1

Each run (METHOD:FRACTION, in the order given; default the U-Net at 100 %, then SDNet at 100 % and
1.5 %) is first probed with one epoch (compilation and the test pass included), then trained
for as many epochs as the rest of its share of the budget allows (`--set epochs=N`, the other
settings the preset's), in a folder of its own (--out/table1_<method>_l<fraction>: report.md,
results.csv, runs/.../training_log.csv). A run cut short by the budget keeps its checkpoint and
its training log. Make the compact copy with `python data_prep/compact_acdc.py ACDC/training
device_cache/ACDC_224 --bits 6`.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NEEDED = ("keras", "numpy", "scipy", "h5py", "nibabel", "skimage", "sklearn", "matplotlib", "tqdm")
PIP_NAMES = {"skimage": "scikit-image", "sklearn": "scikit-learn"}


def install_missing(wheels):
    """Install from a folder of wheels whatever the device machine lacks (it reaches no index)."""
    missing = [PIP_NAMES.get(m, m) for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing and wheels:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels,
                        *missing], check=False)
    still = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if still:
        raise SystemExit(f"missing packages {still}: give --wheels with their wheels")


def default_backend():
    return "jax" if importlib.util.find_spec("jax") and not importlib.util.find_spec("tensorflow") else \
        os.environ.get("KERAS_BACKEND", "tensorflow")


def experiment(args, out, method, fraction, extra, timeout):
    """One invocation of Table 1's script for one run; returns (exit status or None on timeout, wall s)."""
    command = [sys.executable, os.path.join(ROOT, "experiments", "table1_acdc.py"), "--preset", args.preset,
               "--methods", method, "--labels", str(fraction), "--splits", "0", "--seeds", "1",
               "--backend", args.backend, "--out", out, *(["--data", args.data] if args.data else []), *extra]
    start = time.time()
    with open(os.path.join(args.out, "job.log"), "a") as log:
        try:
            status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=max(timeout, 1),
                                    env={**os.environ, "PYTHONPATH": ROOT}).returncode
        except subprocess.TimeoutExpired:
            status = None
    return status, time.time() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=None, help="ACDC training folder (default: the phantom)")
    p.add_argument("--preset", default="paper")
    p.add_argument("--budget-s", type=float, default=540.0, help="wall seconds for the whole job")
    p.add_argument("--runs", nargs="+", default=["unet:1", "sdnet:1", "sdnet:0.015"], metavar="METHOD:FRACTION")
    p.add_argument("--backend", default=None, help="default: jax where TensorFlow is absent")
    p.add_argument("--wheels", default=None, help="a folder of wheels for what is not installed")
    p.add_argument("--max-epochs", type=int, default=500)
    args = p.parse_args(argv)
    start = time.time()
    args.backend = args.backend or default_backend()
    os.makedirs(args.out, exist_ok=True)
    install_missing(args.wheels)

    def left():
        return args.budget_s - (time.time() - start)

    try:
        bench = subprocess.run([sys.executable, os.path.join(HERE, "train_step.py"), "--presets", args.preset,
                                "--precisions", "float32"], capture_output=True, text=True,
                               env={**os.environ, "KERAS_BACKEND": args.backend, "PYTHONPATH": ROOT},
                               timeout=max(left() * 0.3, 1))
        print(bench.stdout.strip() or bench.stderr.strip()[-2000:], flush=True)
    except subprocess.TimeoutExpired as cut:
        print(f"benchmark cut after {cut.timeout:.0f} s (its share of the budget): "
              f"{(cut.stdout or b'').decode(errors='replace').strip()}", flush=True)
    plan = [(r.split(":")[0], float(r.split(":")[1])) for r in args.runs]
    for k, (method, fraction) in enumerate(plan):
        share = left() / (len(plan) - k)               # what this run may use
        if share < 30:
            print(f"{method} at {fraction:g}: no time left", flush=True)
            continue
        status, probe_s = experiment(args, os.path.join(args.out, "probe", f"{method}_{fraction:g}"), method,
                                     fraction, ["--set", "epochs=1", "--no-report"], share)
        if status != 0 or share - probe_s < 20:
            print(f"{method} at {fraction:g}: probe {'failed' if status else 'took the share'} "
                  f"({probe_s:.0f} s); see job.log", flush=True)
            continue
        epochs = max(1, min(args.max_epochs, int((share - probe_s) / max(probe_s * 0.6, 1e-3))))
        out = os.path.join(args.out, f"table1_{method}_l{fraction:g}")     # one folder a run: its own epochs
        status, wall = experiment(args, out, method, fraction, ["--set", f"epochs={epochs}"], share - probe_s)
        print(f"{method} at {fraction:g}: one-epoch probe {probe_s:.0f} s; {epochs} epochs "
              f"{'finished' if status == 0 else 'cut by the budget' if status is None else f'failed ({status})'}"
              f" in {wall:.0f} s", flush=True)
        report = os.path.join(out, "report.md")
        if status == 0 and os.path.exists(report):
            text = open(report).read()
            print(text.split("## Measured (the authors' protocol)")[-1].split("## Published")[0].strip(), flush=True)


if __name__ == "__main__":
    main()
