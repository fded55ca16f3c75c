"""Replay epochs of a run from a checkpoint kept after one of its epochs, with settings changed
(`--set`) or not. The replay draws the same batches and random numbers from the same state, so
what a setting does to one epoch (a collapse, a jump in a loss) is measured on that very epoch,
not on another run that drifted elsewhere. An unchanged replay repeats the logged epochs exactly
(on the same backend and machine kind): the check that checkpoint, data and code are the run's.

    python -m sdnet.reporting.replay RUN_FOLDER CHECKPOINT --out OUT [--set consistency=0] [--epochs 1]

A run replaces its checkpoint.npz after every epoch and removes it when it finishes: to keep the
state after epoch n, copy the file once the run has logged epoch n. The data are read from the
folder the run recorded (or --data), as an ACDC folder or a folder of NIfTI pairs with the run's
label codes, as `sdnet.reporting.batchnorm` reads them.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def rows_by_epoch(run) -> dict:
    """{(phase, epoch): {column: value}} of a run's training log (`curves.read_log`'s columns as
    rows, missing values left out); {} where the run has logged nothing yet."""
    from sdnet.reporting.curves import read_log

    if not os.path.exists(os.path.join(run, "training_log.csv")):
        return {}
    log = read_log(run)
    return {(int(phase), int(epoch)): {k: float(v[i]) for k, v in log.items() if not np.isnan(v[i])}
            for i, (phase, epoch) in enumerate(zip(log["phase"], log["epoch"]))}


def replay(run_folder, checkpoint, out, changes=None, epochs=1, data=None, cache_dir=None, loader=None) -> list:
    """Train `epochs` epochs of the run in `run_folder` from `checkpoint` into the new folder
    `out`, with the settings in `changes` replaced; returns [(phase, epoch, logged row or None,
    replayed row)] for each replayed epoch."""
    from sdnet.config import SDNetConfig
    from sdnet.data.acdc import open_recorded_dataset
    from sdnet.io import read_json
    from sdnet.methods import build_method
    from sdnet.training.checkpoint import load_checkpoint, save_checkpoint
    from sdnet.training.folder import RunFolder
    from sdnet.training.loop import EpochLoop
    from sdnet.training.run import seed_everything, training_data
    from sdnet.training.spec import RunSpec

    description_path = os.path.join(run_folder, "run.json")
    if not os.path.exists(description_path):
        raise ValueError(f"{run_folder}: not a run folder (no run.json)")
    saved = load_checkpoint(checkpoint)
    if saved is None:
        raise ValueError(f"{checkpoint}: no such checkpoint")
    if os.path.exists(out) and os.listdir(out):
        raise ValueError(f"{out}: not empty; give a new folder for the replay")
    description = read_json(description_path)
    cfg = SDNetConfig.from_dict(description["config"])
    cfg = cfg.replace(**changes) if changes else cfg
    spec = RunSpec(**description["spec"])
    loader = loader or open_recorded_dataset(description["dataset"], data, cache_dir)

    seed_everything(cfg.seed, deterministic=not cfg.xla)
    method = build_method(spec.method, cfg)
    loop = EpochLoop(method, training_data(loader, spec, cfg, method), cfg, RunFolder(out), loader.structures,
                     f"{spec.name} (replay)")
    arrays, state = saved
    state["run"] = loop.identity()             # the replay's settings: the loop then resumes it as its own
    os.makedirs(out, exist_ok=True)
    save_checkpoint(loop.folder.checkpoint_path, arrays, state)
    loop.fit(stop_after_epochs=epochs)
    logged = rows_by_epoch(run_folder)
    return [(phase, epoch, logged.get((phase, epoch)), row) for (phase, epoch), row in sorted(rows_by_epoch(out).items())]


def main(argv=None):
    from sdnet.config import parse_overrides

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="the run folder (run.json, training_log.csv)")
    p.add_argument("checkpoint", help="a checkpoint.npz kept after one of its epochs")
    p.add_argument("--out", required=True, help="a new folder for the replay's log and checkpoint")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="settings changed for the replay")
    p.add_argument("--epochs", type=int, default=1, help="how many epochs to replay")
    p.add_argument("--data", help="the data folder, if not where the run recorded it")
    p.add_argument("--cache-dir", help="the preprocessing cache, as the run's command had it")
    args = p.parse_args(argv)
    rows = replay(args.run, args.checkpoint, args.out, parse_overrides(args.set), args.epochs, args.data, args.cache_dir)
    print("| phase | epoch | value | logged by the run | replayed |" + (f" (--set {' '.join(args.set)})" if args.set else ""))
    print("|---|---|---|---|---|")
    for phase, epoch, logged, replayed in rows:
        for key in (k for k in replayed if k not in ("phase", "epoch")):
            before = "–" if logged is None or key not in logged else f"{logged[key]:.7g}"
            print(f"| {phase} | {epoch + 1} | {key} | {before} | {replayed[key]:.7g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
