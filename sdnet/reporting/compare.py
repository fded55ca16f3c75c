"""Two methods of one experiment folder, each with its own choice of weights, compared over the
same test patients with a paired t-test.

    python -m sdnet.reporting.compare results/x --a sdnet:last --b unet:best --fraction 0.015 --score mean

Runs with the same seed and split share the labelled subjects and the test set, so only the
(split, seed) runs both methods have are used; each test patient's scores are then averaged over
those runs, and the patient is the unit of the test (a patient scored under three seeds is one
observation, not three). A method of a configuration variant is named as its run folder is,
METHOD_VARIANT (e.g. `unet_recomputed_bn`); a bare METHOD is its runs without a variant.

The per-patient test does not count the choice of labelled subjects as a source of variation,
and at a few labelled subjects it is the largest one. So the comparison is also printed per
labelled set (one (split, seed) run: the seed picks the subjects), with the paired test over the
sets' means, the set the unit: the test a result must pass to hold for labelled subjects not
tried. With three sets it has two degrees of freedom and is weak; its p says so.

An ablation is read by how much of a gap it closes: `--gap-from sdnet:last` with an ablation of
SDNet as A (`--a-runs`) and the U-Net as B prints (A - SDNet) / (U-Net - SDNet) of the unrounded
means; `--seeds` keeps some seeds' runs only (one seed's share, or the subjects made so far).
"""
from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

from sdnet.evaluation import paired_difference, paired_ttest, per_patient_pairs
from sdnet.reporting.answer import difference_text, p_text
from sdnet.reporting.report import collect_results
from sdnet.training.spec import method_and_variant

WEIGHTS = ("last", "best")


def scores_of(results, method, weights, fraction, protocol, score) -> dict:
    """{(split, seed, volume): score} of one method's runs at one labelled fraction."""
    pooled = {}
    for r in results:
        spec = r["spec"]
        if method_and_variant(spec["method"], spec.get("variant")) != method or not np.isclose(spec["fraction"], fraction):
            continue
        for v in r["volumes_by_weights"].get(weights, {}).get(protocol, []):
            pooled[(spec["split"], spec["seed"], v["volume"])] = v["scores"][score]
    return pooled


def compare(results, a, b, fraction, protocol="original", score="avg") -> dict:
    """a, b: (method, weights). Per-patient means (over the shared runs), their mean and
    standard deviation over patients, the counts and the paired p-value."""
    sa, sb = scores_of(results, *a, fraction, protocol, score), scores_of(results, *b, fraction, protocol, score)
    volumes, x, y = per_patient_pairs(sa, sb)
    if len(volumes) < 2:
        raise ValueError(f"fewer than two test patients scored by both {':'.join(a)} and {':'.join(b)} at "
                         f"fraction {fraction:g}")
    runs = sorted({k[:2] for k in set(sa) & set(sb)})
    return {"a": a, "b": b, "patients": len(volumes), "pairs": len(set(sa) & set(sb)),
            "seeds": sorted({seed for _, seed in runs}), "splits": sorted({split for split, _ in runs}),
            "mean_a": 100 * x.mean(), "std_a": 100 * x.std(), "mean_b": 100 * y.mean(), "std_b": 100 * y.std(),
            "p": paired_ttest(x, y)}


def share_of_gap(results, a, b, start, fraction, protocol="original", score="avg") -> dict:
    """a, b, start: (method, weights). The share of the gap from `start` to B that A closes,
    (A - start) / (B - start), of the three means over the test patients, each patient averaged over
    the (split, seed) runs all three have: how much of the distance from the full SDNet to a U-Net an
    ablation of SDNet makes up (1: all of it, 0: none, below 0: it widens it). From the unrounded
    means, which the printed one-decimal means would not reproduce."""
    sides = [scores_of(results, *side, fraction, protocol, score) for side in (a, b, start)]
    keys = set(sides[0]) & set(sides[1]) & set(sides[2])
    if not keys:
        raise ValueError(f"no (split, seed) run of {':'.join(a)}, {':'.join(b)} and {':'.join(start)} at fraction "
                         f"{fraction:g} in common")
    shared = [{k: side[k] for k in keys} for side in sides]
    volumes, per_patient_a, per_patient_start = per_patient_pairs(shared[0], shared[2])
    _, per_patient_b, _ = per_patient_pairs(shared[1], shared[2])
    mean_a, mean_b, mean_start = (100 * m.mean() for m in (per_patient_a, per_patient_b, per_patient_start))
    gap = mean_b - mean_start
    return {"mean_a": mean_a, "mean_b": mean_b, "mean_start": mean_start, "gap": gap,
            "share": (mean_a - mean_start) / gap if gap else math.nan,
            "seeds": sorted({k[1] for k in keys}), "patients": len(volumes)}


def labelled_subjects(results, method, fraction, split, seed) -> list:
    """The labelled subjects of one method's (split, seed) run, as its result recorded them."""
    for r in results:
        spec = r["spec"]
        if (method_and_variant(spec["method"], spec.get("variant")) == method and np.isclose(spec["fraction"], fraction)
                and (spec["split"], spec["seed"]) == (split, seed)):
            return list(r.get("labelled_subjects", []))
    return []


def compare_by_labelled_set(results, a, b, fraction, protocol="original", score="avg") -> dict:
    """a, b: (method, weights). Per (split, seed) run both have: its labelled subjects, each
    side's mean over test patients and the paired p over patients within the run; then the paired
    p over the runs' means (nan under two runs) and their mean difference A - B with its 95 % t
    interval (`sdnet.evaluation.paired_difference`). ValueError when the two sides' runs of one seed
    were given different labelled subjects: they would not be paired."""
    sa, sb = scores_of(results, *a, fraction, protocol, score), scores_of(results, *b, fraction, protocol, score)
    sets = []
    for split, seed in sorted({k[:2] for k in set(sa) & set(sb)}):
        subjects = labelled_subjects(results, a[0], fraction, split, seed)
        other = labelled_subjects(results, b[0], fraction, split, seed)
        if subjects and other and sorted(subjects) != sorted(other):
            raise ValueError(f"split {split}, seed {seed}: {a[0]} was trained on labelled subjects {subjects}, "
                             f"{b[0]} on {other}; the runs are not paired")
        _, x, y = per_patient_pairs({k: v for k, v in sa.items() if k[:2] == (split, seed)},
                                    {k: v for k, v in sb.items() if k[:2] == (split, seed)})
        sets.append({"split": split, "seed": seed, "subjects": sorted(subjects or other), "patients": len(x),
                     "mean_a": 100 * x.mean(), "mean_b": 100 * y.mean(), "p": paired_ttest(x, y)})
    if not sets:
        raise ValueError(f"no (split, seed) run of {':'.join(a)} and {':'.join(b)} at fraction {fraction:g} in common")
    means_a, means_b = [s["mean_a"] for s in sets], [s["mean_b"] for s in sets]
    return {"sets": sets, "p": paired_ttest(means_a, means_b), "difference": paired_difference(means_a, means_b)}


def subjects_text(subjects) -> str:
    """A few labelled subjects by number, many by their count."""
    if not subjects:
        return "not recorded"
    if len(subjects) > 3:
        return f"{len(subjects)} subjects"
    return ", ".join(f"patient {s:03d}" if isinstance(s, int) else str(s) for s in subjects)


def labelled_set_rows(c: dict) -> list:
    """Table cells from `compare_by_labelled_set`: (set, subjects, A, B, test patients, p, A - B)
    per labelled set, then (from two sets on) the row of the test over the sets, its difference
    with the 95 % interval."""
    rows = [(f"split {s['split']}, seed {s['seed']}", subjects_text(s["subjects"]), f"{s['mean_a']:.1f}",
             f"{s['mean_b']:.1f}", str(s["patients"]), p_text(s["p"]), f"{s['mean_a'] - s['mean_b']:+.1f}")
            for s in c["sets"]]
    if len(c["sets"]) < 2:
        return rows
    rows.append((f"over the {len(c['sets'])} labelled sets (the set the unit)", "",
                 f"{np.mean([s['mean_a'] for s in c['sets']]):.1f}", f"{np.mean([s['mean_b'] for s in c['sets']]):.1f}",
                 "", p_text(c["p"]), difference_text(c["difference"])))
    return rows


def from_other_folder(results, tag="other") -> list:
    """Results of a second folder (`--a-runs`), their names tagged `NAME@TAG` so that a run of the
    same method and variant in both folders (an ablation beside its baseline) is two sides."""
    def tagged(spec):
        if spec.get("variant"):
            return {**spec, "variant": f"{spec['variant']}@{tag}"}
        return {**spec, "method": f"{spec['method']}@{tag}"}
    return [{**r, "spec": tagged(r["spec"])} for r in results]


def parse_side(flag, text, results) -> tuple:
    """'METHOD:WEIGHTS' checked against the methods present; ValueError naming the flag."""
    method, sep, weights = text.partition(":")
    present = sorted({method_and_variant(r["spec"]["method"], r["spec"].get("variant")) for r in results})
    if not sep or weights not in WEIGHTS:
        raise ValueError(f"{flag} {text}: expected METHOD:WEIGHTS with WEIGHTS last or best (e.g. sdnet:last)")
    if method not in present:
        raise ValueError(f"{flag} {text}: no finished runs of {method}; the folder has {', '.join(present)}")
    return method, weights


def check_arguments(args, results):
    """Both sides, the fraction and the score, each against what the folder holds."""
    a, b = parse_side("--a", args.a, results), parse_side("--b", args.b, results)
    if not math.isfinite(args.fraction) or not 0 < args.fraction <= 1:
        raise ValueError(f"--fraction {args.fraction}: expected a labelled fraction in (0, 1]")
    for flag, (method, _) in (("--a", a), ("--b", b)):
        fractions = sorted({r["spec"]["fraction"] for r in results
                            if method_and_variant(r["spec"]["method"], r["spec"].get("variant")) == method})
        if not any(np.isclose(f, args.fraction) for f in fractions):
            raise ValueError(f"--fraction {args.fraction:g}: {method} ({flag}) has runs at "
                             f"{', '.join(f'{f:g}' for f in fractions)} only")
    scores = sorted({k for r in results for rows in r["volumes_by_weights"].values()
                     for v in rows.get(args.protocol, []) for k in v["scores"]})
    if args.score not in scores:
        raise ValueError(f"--score {args.score}: not a score of the {args.protocol} protocol; choose from "
                         f"{', '.join(scores)}")
    return a, b


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="an experiment's --out folder")
    p.add_argument("--a", required=True, metavar="METHOD:WEIGHTS", help="e.g. sdnet:last, or sdnet_VARIANT:last")
    p.add_argument("--b", required=True, metavar="METHOD:WEIGHTS", help="e.g. unet:best")
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--protocol", default="original", choices=["original", "standard"])
    p.add_argument("--score", default="avg", help="avg (original protocol), mean, or a structure")
    p.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                   help="only the runs of these seeds (e.g. the labelled subjects made so far of a longer list)")
    p.add_argument("--gap-from", metavar="METHOD:WEIGHTS",
                   help="also print the share of the gap from this method to --b that --a closes, "
                        "(A - it) / (B - it): e.g. the full SDNet, with --a an ablation of it")
    p.add_argument("--a-runs", metavar="FOLDER", help="take --a's runs from this folder instead (an ablation's "
                                                       "output beside its baseline's): named METHOD@other there")
    args = p.parse_args(argv)
    try:
        results = []
        for folder, tagged in ((args.out, False), (args.a_runs, True)):
            if folder is None:
                continue
            if not os.path.isdir(folder):
                raise ValueError(f"{folder}: folder not found (an experiment's --out folder)")
            found = collect_results(folder)
            if not found:
                raise ValueError(f"{folder}: no finished runs (no runs/**/result.json)")
            results += from_other_folder(found) if tagged else found
        if args.seeds:
            results = [r for r in results if r["spec"]["seed"] in args.seeds]
            if not results:
                raise ValueError(f"--seeds {' '.join(map(str, args.seeds))}: no finished runs of these seeds")
        if args.a_runs:
            method, sep, weights = args.a.partition(":")
            args.a = f"{method}@other{sep}{weights}"
        a, b = check_arguments(args, results)
        start = parse_side("--gap-from", args.gap_from, results) if args.gap_from else None
        gap = share_of_gap(results, a, b, start, args.fraction, args.protocol, args.score) if start else None
        c = compare(results, a, b, args.fraction, args.protocol, args.score)
        by_set = compare_by_labelled_set(results, a, b, args.fraction, args.protocol, args.score)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"| {args.score}, {args.protocol} protocol | {':'.join(c['a'])} | {':'.join(c['b'])} | test patients | "
          "splits | seeds | paired t-test p (per patient) |\n|---|---|---|---|---|---|---|\n"
          f"| labelled fraction {args.fraction:g} | {c['mean_a']:.1f} ± {c['std_a']:.1f} | "
          f"{c['mean_b']:.1f} ± {c['std_b']:.1f} | {c['patients']} | {c['splits']} | {c['seeds']} | {p_text(c['p'])} |\n")
    print(f"| labelled set | labelled subjects | {':'.join(c['a'])} | {':'.join(c['b'])} | test patients | "
          "paired t-test p (over its test patients; last row: over the sets) | difference (last row: mean over the "
          "sets, 95 % t interval) |\n|---|---|---|---|---|---|---|")
    for row in labelled_set_rows(by_set):
        print(f"| {' | '.join(row)} |")
    if gap:
        print(f"\nshare of the gap from {':'.join(start)} ({gap['mean_start']:.2f}) to {':'.join(b)} "
              f"({gap['mean_b']:.2f}) that {':'.join(a)} ({gap['mean_a']:.2f}) closes: {100 * gap['share']:.0f} % "
              f"(seeds {gap['seeds']}, {gap['patients']} test patients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
