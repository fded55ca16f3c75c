"""The experiment runner every script in experiments/ shares: flags, grid, checks, report.

A script declares an `Experiment` (which methods, labelled fractions and splits, which report)
and calls `main(EXPERIMENT)`. Nothing here imports Keras before `--backend` is applied.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

from sdnet.config import PRESETS, SDNetConfig, get_preset, parse_overrides

log = logging.getLogger("sdnet")
BACKENDS = ("tensorflow", "jax", "torch")


@dataclass
class Experiment:
    name: str
    title: str
    methods: tuple
    fractions: tuple
    splits: tuple = (0, 1, 2)
    # the grid `--preset quick` runs when no flags narrow it (finishes in minutes on a CPU)
    quick_fractions: tuple = ()
    quick_splits: tuple = (0,)
    overrides: dict = field(default_factory=dict)


def build_parser(exp: Experiment):
    p = argparse.ArgumentParser(description=exp.title)
    p.add_argument("--methods", nargs="+", default=list(exp.methods), help=f"any of {exp.methods}")
    p.add_argument("--labels", nargs="+", type=float, default=None,
                   help=f"labelled fractions of the training subjects (default {exp.fractions})")
    p.add_argument("--splits", nargs="+", type=int, default=None, help="cross-validation splits (0 1 2)")
    p.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    p.add_argument("--data", default=None,
                   help="ACDC training folder (official layout); default: the synthetic phantom")
    p.add_argument("--out", default=None, help=f"output folder (default results/{exp.name}_<preset>)")
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=BACKENDS)
    p.add_argument("--seeds", nargs="+", type=int, default=[1],
                   help="one run per seed (at CPU scale, compare methods over several)")
    p.add_argument("--cache-dir", default=None, help="where preprocessed arrays are cached")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override configuration fields, e.g. --set epochs=50 test_weights=best")
    p.add_argument("--image-every", type=int, default=0, help="save example images every N epochs")
    p.add_argument("--force", action="store_true", help="reuse an --out folder of another configuration")
    return p


def resolve(exp: Experiment, args):
    """Checked (config, methods, fractions, splits) from the parsed flags; ValueError on bad input."""
    unknown = [m for m in args.methods if m not in exp.methods]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(exp.methods)}")
    quick_default = args.preset != "paper" and exp.quick_fractions
    fractions = args.labels or list(exp.quick_fractions if quick_default else exp.fractions)
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad:
        raise ValueError(f"labelled fraction(s) {bad} outside (0, 1]")
    splits = args.splits if args.splits is not None else list(exp.quick_splits if quick_default else exp.splits)
    bad = [s for s in splits if s not in (0, 1, 2)]
    if bad:
        raise ValueError(f"split(s) {bad} do not exist: choose from 0, 1, 2")
    cfg = get_preset(args.preset, **{**exp.overrides, **parse_overrides(args.set)})
    methods = [m for m in exp.methods if m in args.methods]   # the table's order
    return cfg, methods, fractions, splits


def check_out_folder(out, settings: dict, force):
    """Refuse an --out folder holding runs of another configuration, naming the differing keys."""
    path = os.path.join(out, "experiment.json")
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        flat_old, flat_new = _flatten(previous), _flatten(settings)
        differing = sorted(k for k in set(flat_old) | set(flat_new) if flat_old.get(k) != flat_new.get(k))
        if differing and not force:
            raise ValueError(f"{out} holds runs of another configuration (differing: {', '.join(differing)}); "
                             "choose another --out or pass --force")
    os.makedirs(out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(settings, f, indent=2, sort_keys=True)


def _flatten(d, prefix=""):
    flat = {}
    for k, v in d.items():
        if isinstance(v, dict):
            flat.update(_flatten(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def check_disk(out, cfg: SDNetConfig, runs):
    """Each finished run keeps best/ and last/ weights (float32); the run in progress also holds
    a checkpoint with the Adam moments (about 3x the weights). SDNet has ~46 M parameters at F = 64."""
    weight_bytes = 4 * 46e6 * (cfg.filters / 64) ** 2
    need = runs * 2 * weight_bytes + 3 * weight_bytes + 100e6
    free = shutil.disk_usage(out).free
    if free < need:
        raise ValueError(f"{out}: {free / 1e9:.1f} GB free, the weights and checkpoints of {runs} runs need "
                         f"about {need / 1e9:.1f} GB")


def warn_without_gpu(cfg: SDNetConfig, runs):
    from sdnet import hardware

    if hardware.accelerator() is None and cfg.image_size >= 224 and cfg.filters >= 64:
        step_s, steps = 40, 1200 // cfg.batch_size  # docs/BENCHMARKS.md; 1200 unlabelled images
        log.warning("the paper preset without a GPU: about %d s per step of 4 + 4 images on a 2-core "
                    "CPU, i.e. roughly %.0f hours per epoch of %d steps, for each of %d runs of up to %d "
                    "epochs. Use a GPU, or --preset quick to check the pipeline.",
                    step_s, step_s * steps / 3600, steps, runs, cfg.epochs)


def main(exp: Experiment, argv=None):
    args = build_parser(exp).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        cfg, methods, fractions, splits = resolve(exp, args)
        return run_grid(exp, cfg, methods, fractions, splits, args)
    except ValueError as err:   # includes DataError: a clear message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2


def run_grid(exp, cfg, methods, fractions, splits, args):
    from sdnet import hardware
    from sdnet.data.acdc import ACDCLoader
    from sdnet.data.phantom import default_phantom_root, ensure_phantom
    from sdnet.report import write_report
    from sdnet.runner import Run, RunSpec, run_folder

    data_root = args.data or ensure_phantom(default_phantom_root(args.cache_dir))
    data_name = "synthetic cardiac phantom (not real data)" if args.data is None else os.path.abspath(args.data)
    out = args.out or os.path.join("results", f"{exp.name}_{args.preset}")
    specs = [RunSpec(m, f, s, seed) for f in fractions for m in methods for s in splits for seed in args.seeds]
    check_out_folder(out, {"experiment": exp.name, "config": cfg.to_dict(), "data": data_name,
                           "backend": args.backend}, args.force)
    check_disk(out, cfg, len(specs))
    warn_without_gpu(cfg, len(specs))
    loader = ACDCLoader(data_root, image_size=cfg.image_size, spacing_mm=cfg.spacing_mm, cache_dir=args.cache_dir)
    start, results = time.time(), []
    for i, spec in enumerate(specs, 1):
        log.info("run %d/%d: %s", i, len(specs), spec.name)
        results.append(Run(spec, cfg, loader, run_folder(out, spec), image_every=args.image_every).execute())
    hw = hardware.describe()
    context = {"data": data_name, "preset": args.preset, "backend": hw["backend"],
               "hardware": f"{hw['device']}; {hw['cpu']}",
               "image size": f"{cfg.image_size} px at {cfg.spacing_mm:.2f} mm",
               "this invocation's wall time": f"{(time.time() - start) / 60:.1f} min"}
    table = write_report(results, out, exp.title, context, methods, fractions)
    print(f"\n{exp.title} — measured on {data_name}, preset {args.preset} "
          f"(report: {os.path.join(out, 'report.md')})\n")
    print(table)
    return 0
