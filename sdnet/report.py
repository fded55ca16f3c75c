"""Results of an experiment grid: results.csv, report.md beside the published table, and plots."""
from __future__ import annotations

import csv
import os

import numpy as np

from sdnet import published
from sdnet.evaluation import paired_ttest


def pooled_scores(results, protocol="original", weights=None):
    """{(method, fraction): {structure: {(split, seed, volume): score}}} over every run; `weights`
    picks the last- or best-epoch evaluation (default: the configured one)."""
    pooled = {}
    for r in results:
        spec = r["spec"]
        cell = pooled.setdefault((spec["method"], spec["fraction"]), {})
        for v in (r["volumes_by_weights"].get(weights, []) if weights else r["volumes"]):
            for k, score in v[protocol].items():
                cell.setdefault(k, {})[(spec["split"], spec["seed"], v["volume"])] = score
    return {key: cell for key, cell in pooled.items() if cell}


def significance(pooled, fraction, structure, methods):
    """(p-value of SDNet against the second best, SDNet is best) for one cell of the table."""
    means = {m: np.mean(list(pooled[(m, fraction)][structure].values()))
             for m in methods if (m, fraction) in pooled}
    if "sdnet" not in means or len(means) < 2:
        return float("nan"), False
    ranked = sorted(means, key=means.get, reverse=True)
    other = ranked[1] if ranked[0] == "sdnet" else ranked[0]
    a, b = pooled[("sdnet", fraction)][structure], pooled[(other, fraction)][structure]
    keys = sorted(set(a) & set(b))
    return paired_ttest([a[k] for k in keys], [b[k] for k in keys]), ranked[0] == "sdnet"


def write_results_csv(results, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["method", "fraction", "split", "seed", "weights", "protocol", "structure", "mean", "std",
                         "volumes", "best_val_dice", "epochs_trained", "backend", "device"])
        for r in results:
            s = r["spec"]
            for weights, by_protocol in r["summary_by_weights"].items():
                for protocol, summary in by_protocol.items():
                    for structure, (mean, std) in summary.items():
                        writer.writerow([s["method"], s["fraction"], s["split"], s["seed"], weights, protocol,
                                         structure, f"{mean:.4f}", f"{std:.4f}", len(r["volumes"]),
                                         f"{r['best_val_dice']:.4f}", r["epochs_trained"],
                                         r["hardware"]["backend"], r["hardware"]["device"]])


def _cell(scores):
    values = 100 * np.array(list(scores.values()))
    return float(values.mean()), float(values.std())


def table_markdown(pooled, methods, fractions, structures, star=True):
    header = "| labels | " + " | ".join(f"{published.METHOD_NAMES.get(m, m)} {s}" for m in methods
                                         for s in structures) + " |"
    lines = [header, "|" + "---|" * (1 + len(methods) * len(structures))]
    for fraction in fractions:
        cells = []
        for m in methods:
            for s in structures:
                if (m, fraction) not in pooled:
                    cells.append("–")
                    continue
                mean, std = _cell(pooled[(m, fraction)][s])
                mark = ""
                if star and m == "sdnet":
                    p, best = significance(pooled, fraction, s, methods)
                    mark = "*" if best and p < 0.05 else ""
                cells.append(f"{mean:.0f}±{std:.0f}{mark}")
        lines.append(f"| {fraction:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_markdown(methods, fractions, structures, difference_from=None):
    """The paper's Table 1 (or, with `difference_from`, measured minus published)."""
    header = "| labels | " + " | ".join(f"{published.METHOD_NAMES[m]} {s}" for m in methods for s in structures) + " |"
    lines = [header, "|" + "---|" * (1 + len(methods) * len(structures))]
    for fraction in fractions:
        cells = []
        for m in methods:
            row = published.table1(fraction, m)
            for s in structures:
                if row is None:
                    cells.append("–")
                    continue
                mean, std = row[s]
                if difference_from is not None:
                    if (m, fraction) in difference_from:
                        cells.append(f"{_cell(difference_from[(m, fraction)][s])[0] - mean:+.0f}")
                    else:
                        cells.append("–")
                else:
                    star = "*" if m == "sdnet" and (fraction, s) in published.SIGNIFICANT else ""
                    cells.append(f"{mean}±{'?' if std is None else std}{star}")
        lines.append(f"| {fraction:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(results, out, title, context: dict, methods, fractions, structures=("MYO", "LV", "RV", "avg")):
    """report.md, results.csv and dice_vs_labels.png in `out`; returns the measured table."""
    from sdnet.plots import dice_vs_labels

    write_results_csv(results, os.path.join(out, "results.csv"))
    methods = [m for m in methods if any(r["spec"]["method"] == m for r in results)]
    fractions = [f for f in fractions if any(r["spec"]["fraction"] == f for r in results)]
    original, standard = pooled_scores(results, "original"), pooled_scores(results, "standard")
    measured = table_markdown(original, methods, fractions, structures)
    notes = sorted({n for r in results for n in r["notes"]})
    splits = sorted({r["spec"]["split"] for r in results})
    seeds = sorted({r["spec"]["seed"] for r in results})
    other = "best" if results[0]["test_weights"] == "last" else "last"
    other_scores = pooled_scores(results, "original", weights=other)
    wall = sum(r["wall_s"] for r in results)
    lines = [f"# {title}", "",
             *[f"- {k}: {v}" for k, v in context.items()],
             f"- splits: {splits}; seeds: {seeds}; runs: {len(results)}; training wall time: {wall / 60:.1f} min",
             f"- test weights: {results[0]['test_weights']} epoch; mean±std over test volumes "
             "(ED and ES frames separately), Dice %, pooled over the splits run",
             *[f"- data note: {n}" for n in notes], "",
             "## Measured (original protocol: soft pooled Dice per slice, averaged per volume; "
             "structures on the rounded prediction)", "",
             "`*`: SDNet best and significantly better than the second best (paired t-test over test "
             "volumes, p < 0.05).", "", measured, "",
             "## Published (Chartsias et al. 2019, Table 1)", "",
             published_markdown(methods, fractions, structures), "",
             "## Measured minus published (Dice points)", "",
             published_markdown(methods, fractions, structures, difference_from=original), "",
             "## Measured, standard protocol (hard 3-D Dice per structure per volume)", "",
             table_markdown(standard, methods, fractions, structures, star=False), "",
             f"## Measured with the {other} epoch's weights (original protocol)", "",
             table_markdown(other_scores, methods, fractions, structures) if other_scores else "(none)", "",
             "![average Dice against labelled fraction](dice_vs_labels.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines))
    avg = {m: {f: _cell(original[(m, f)]["avg"])[0] for f in fractions if (m, f) in original} for m in methods}
    pub = {m: {f: published.table1(f, m)["avg"][0] for f in fractions if published.table1(f, m)}
           for m in methods if m in published.METHODS}
    dice_vs_labels(avg, pub, os.path.join(out, "dice_vs_labels.png"))
    return measured
