"""Two methods of one experiment folder, each with its own choice of weights, compared over the
same test volumes with a paired t-test (pooled over the splits and seeds both have run).

    python -m sdnet.reporting.compare results/x --a sdnet:last --b unet:best --fraction 0.015 --score mean

Pairs are (split, seed, volume): runs with the same seed and split share the labelled subjects
and the test set, so method A's and method B's scores of a volume belong together. A method of a
configuration variant is named as its run folder is, METHOD_VARIANT (e.g. `unet_recomputed_bn`);
a bare METHOD is its runs without a variant.
"""
from __future__ import annotations

import argparse

import numpy as np

from sdnet.evaluation import paired_ttest
from sdnet.reporting.report import collect_results
from sdnet.training.spec import method_and_variant


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
    """a, b: (method, weights). Means, standard deviations, the number of pairs and the p-value."""
    sa, sb = scores_of(results, *a, fraction, protocol, score), scores_of(results, *b, fraction, protocol, score)
    keys = sorted(set(sa) & set(sb))
    if len(keys) < 2:
        raise ValueError(f"fewer than two volumes scored by both {a} and {b} at fraction {fraction}")
    x, y = np.array([sa[k] for k in keys]), np.array([sb[k] for k in keys])
    return {"a": a, "b": b, "pairs": len(keys), "seeds": sorted({k[1] for k in keys}),
            "mean_a": 100 * x.mean(), "std_a": 100 * x.std(), "mean_b": 100 * y.mean(), "std_b": 100 * y.std(),
            "p": paired_ttest(x, y)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="an experiment's --out folder")
    p.add_argument("--a", required=True, metavar="METHOD:WEIGHTS", help="e.g. sdnet:last, or sdnet_VARIANT:last")
    p.add_argument("--b", required=True, metavar="METHOD:WEIGHTS", help="e.g. unet:best")
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--protocol", default="original", choices=["original", "standard"])
    p.add_argument("--score", default="avg", help="avg (original protocol), mean, or a structure")
    args = p.parse_args(argv)
    pair = [tuple(x.split(":", 1)) for x in (args.a, args.b)]
    c = compare(collect_results(args.out), *pair, args.fraction, args.protocol, args.score)
    print(f"| {args.score}, {args.protocol} protocol | {':'.join(c['a'])} | {':'.join(c['b'])} | pairs | seeds | "
          "paired t-test p |\n|---|---|---|---|---|---|\n"
          f"| labelled fraction {args.fraction:g} | {c['mean_a']:.1f} ± {c['std_a']:.1f} | "
          f"{c['mean_b']:.1f} ± {c['std_b']:.1f} | {c['pairs']} | {c['seeds']} | {c['p']:.3g} |")


if __name__ == "__main__":
    main()
