"""The command line every script in experiments/ shares: it parses the flags into a `Request`
(`--set` parsed once, here) and hands it to the runner (sdnet.experiments.runner), which checks,
runs and reports."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from sdnet.config import PRESETS, parse_overrides
from sdnet.data.pairs import LAYOUTS, parse_label_map
from sdnet.experiments.declaration import Experiment
from sdnet.experiments.runner import BACKENDS, Request, collect_finished, prepare, report, run_grid


def build_parser(exp: Experiment):
    p = argparse.ArgumentParser(description=exp.title)
    p.add_argument("--methods", nargs="+", default=None, help=f"any of {list(exp.methods)}")
    p.add_argument("--labels", nargs="+", type=float, default=None,
                   help=f"labelled fractions of the training subjects (default {list(exp.fractions)})")
    p.add_argument("--splits", nargs="+", type=int, default=None, help=f"cross-validation splits {list(exp.splits)}")
    if exp.variants:
        p.add_argument("--variants", nargs="+", default=None, help=f"any of {list(exp.variants)}")
    p.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    p.add_argument("--data", nargs="+", default=None, metavar="FOLDER | TAG=FOLDER[,FOLDER]",
                   help=f"{exp.dataset.expects}; or data folders per modality tag, e.g. MR=/data/cine "
                        "LGE=/data/lge/val,/data/lge/TestSet (with --label-map; a tag repeated adds folders), "
                        f"each in one of these layouts: {LAYOUTS}; default: the synthetic phantom in this layout")
    p.add_argument("--mask-suffix", nargs="+", default=None, metavar="SUFFIX | TAG=SUFFIX",
                   help="what label-map names end in before .nii(.gz) in a folder of NIfTI pairs, e.g. _seg, or "
                        "per modality tag, e.g. LGE=_manual (default: the only one of _gt, _seg, _mask, "
                        "_label(s), _manual found)")
    p.add_argument("--label-map", default=None, metavar="NAME=VALUE,...",
                   help="the structures and their values in the label maps, in channel order (default: the data "
                        "set's, e.g. MYO=2,LV=3,RV=1 for ACDC); values not named are background")
    p.add_argument("--out", default=None, help=f"output folder (default results/{exp.name}_<preset>)")
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=sorted(BACKENDS))
    p.add_argument("--seeds", nargs="+", type=int, default=None,
                   help="one run per seed (at CPU scale, compare methods over several)")
    p.add_argument("--cache-dir", default=None, help="where preprocessed arrays are cached")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override settings: SDNetConfig's fields (sdnet/config.py) or a method's own (its entry in "
                        "sdnet/methods/registry.py), e.g. --set epochs=50 test_weights=best w_kl=0.1")
    p.add_argument("--image-every", type=int, default=0, help="save example images every N epochs (0: none)")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild report.md and results.csv from the finished runs in --out; train nothing")
    p.add_argument("--force", action="store_true",
                   help="use an --out folder of another configuration (runs of another configuration are "
                        "set aside and retrained, never reused)")
    p.add_argument("--only", default=None, metavar="RUN",
                   help="train one run of the grid, named as in the logs (e.g. sdnet/l0.06/split0, "
                        "unet/l1/split2_seed3); what sweep workers do")
    p.add_argument("--no-report", action="store_true", help="train, but leave the report to another invocation")
    p.add_argument("--stop-after-epochs", type=int, default=None, metavar="N",
                   help="train each run at most N more epochs in this invocation and stop as an interruption "
                        "would (its checkpoint kept); the next invocation resumes it: for time-boxed machines. "
                        "Exit status 4 when runs were left unfinished so, 0 when all are done")
    p.add_argument("--runs", default=None, metavar="DIR",
                   help="another experiment's --out (e.g. a Table 1 output) whose finished runs are used where "
                        "they are this experiment's runs (same configuration, data and spec); the rest is "
                        "trained in --out")
    return p


def tagged_values(items, flag, what, example):
    """[(modality tag, value)] of TAG=VALUE items; ValueError naming `flag` for any other."""
    pairs = [item.partition("=") for item in items]
    if any(not sep or not tag or not value for tag, sep, value in pairs):
        raise ValueError(f"{flag} {' '.join(items)}: give one {what}, or TAG={what.upper()} for each modality "
                         f"(e.g. {example})")
    return [(tag, value) for tag, _, value in pairs]


def data_folders(items):
    """--data's values: None (the phantom), one folder, or {modality tag: folder, or [folders]}
    from TAG=FOLDER[,FOLDER] items, a tag repeated adding folders (a value that is an existing
    folder is a folder even if its name holds '=' or ',')."""
    if not items:
        return None
    if len(items) == 1 and ("=" not in items[0] or os.path.isdir(items[0])):
        return items[0]
    folders = {}
    for tag, value in tagged_values(items, "--data", "folder", "MR=/data/cine LGE=/data/lge/val,/data/lge/TestSet"):
        for folder in [value] if os.path.isdir(value) else [f for f in value.split(",") if f]:
            if folder in folders.get(tag, []):
                raise ValueError(f"--data: the folder {folder} is given twice for the modality tag {tag}")
            folders.setdefault(tag, []).append(folder)
    return {tag: f[0] if len(f) == 1 else f for tag, f in folders.items()}


def mask_suffixes(items):
    """--mask-suffix's values: None, one suffix for every folder, or {modality tag: suffix}."""
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        return items[0]
    suffixes = {}
    for tag, suffix in tagged_values(items, "--mask-suffix", "suffix", "LGE=_manual"):
        if tag in suffixes:
            raise ValueError(f"--mask-suffix: the modality tag {tag} is given twice")
        suffixes[tag] = suffix
    return suffixes


def request_from_args(args) -> Request:
    """The parsed flags as plain values: --set and --label-map parsed (and checked) once."""
    return Request(preset=args.preset, overrides=parse_overrides(args.set), methods=args.methods,
                   fractions=args.labels, splits=args.splits, seeds=args.seeds,
                   variants=getattr(args, "variants", None), data=data_folders(args.data),
                   label_map=parse_label_map(args.label_map) if args.label_map else None,
                   mask_suffix=mask_suffixes(args.mask_suffix), out=args.out, cache_dir=args.cache_dir, backend=args.backend,
                   runs=args.runs, force=args.force, report_only=args.report_only, only=args.only,
                   image_every=args.image_every, stop_after_epochs=args.stop_after_epochs)


EXIT_CODES = {0: "done", 2: "bad input (with a message)", 3: "the --only run is being trained by another process",
              4: "--stop-after-epochs stopped unfinished runs: run the same command again to resume them"}


def main(exp: Experiment, argv=None):
    """The experiment's command line; returns the exit status (EXIT_CODES)."""
    args = build_parser(exp).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        plan = prepare(exp, request_from_args(args), may_restart=argv is None)
        start, locked, stopped = time.time(), 0, 0
        if not args.report_only:
            locked, stopped = run_grid(plan)
        if not args.no_report and not (stopped and not collect_finished(plan.out)):
            report(plan, None if args.report_only else time.time() - start)
    except ValueError as err:   # DataError, CheckpointError and bad flags: a message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:      # a file system refusal the checks could not foresee: named, no traceback
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
    if stopped:
        print(f"{stopped} run(s) stopped by --stop-after-epochs {args.stop_after_epochs}; run the same command to "
              "resume (exit status 4)")
        return 4
    return 3 if locked and args.only else 0
