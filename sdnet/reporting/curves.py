"""Training curves of several runs side by side, and a table of their results: what an ablation
study looks at.

    python -m sdnet.reporting.curves --runs faithful=results/a noadv=results/b \\
        --columns val_dice supervised_Mask adv_M D_real D_fake area_ratio_LV --out curves.png

A run is named LABEL=FOLDER, where FOLDER is a run folder, or an --out folder or any folder holding
runs (each of its runs is drawn, labelled LABEL/<run>). Prints a markdown table: epochs, best and last
validation Dice, the epochs where validation collapsed, and the test scores of the last and best
weights where the run has finished.
"""
from __future__ import annotations

import argparse
import csv
import glob
import os

import numpy as np

from sdnet.io import read_json

DEFAULT_COLUMNS = ("val_dice", "supervised_Mask", "adv_M", "dis_M", "D_real", "D_fake",
                   "area_ratio_MYO", "area_ratio_LV", "area_ratio_RV")


def find_runs(label, folder) -> list:
    """[(label, run folder)] for a run folder, or every run under an --out folder (its runs/) or
    under any folder of runs (a method's seeds: runs/<method>/<fraction>)."""
    if os.path.exists(os.path.join(folder, "training_log.csv")):
        return [(label, folder)]
    root = os.path.join(folder, "runs") if os.path.isdir(os.path.join(folder, "runs")) else folder
    logs = sorted(glob.glob(os.path.join(root, "**", "training_log.csv"), recursive=True))
    if not logs:
        raise ValueError(f"{folder}: no training_log.csv (neither a run folder nor a folder with runs under it)")
    runs = [os.path.dirname(p) for p in logs]
    if len(runs) == 1:
        return [(label, runs[0])]
    return [(f"{label}/{os.path.relpath(r, root)}", r) for r in runs]


def read_log(run) -> dict:
    """{column: array over epochs} of a run's training log (missing values as nan)."""
    with open(os.path.join(run, "training_log.csv")) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) if r.get(k) not in (None, "") else np.nan for r in rows]) for k in rows[0]}


def collapsed_epochs(val_dice, fraction=0.5, floor=0.4) -> list:
    """The epochs (from 1) whose validation Dice fell below `fraction` of the best before them,
    once that best had reached `floor`: the single-epoch collapses (the segmentor predicting next
    to nothing, then recovering) that set a run's last weights far below its best when one falls
    on the last epoch. The floor keeps the noise of the first epochs out."""
    collapsed, best = [], -np.inf
    for epoch, value in enumerate(val_dice, start=1):
        if best >= floor and value < fraction * best:
            collapsed.append(epoch)
        best = np.fmax(best, value)
    return collapsed


def summary_row(label, run, score="avg", late_from=21):
    log = read_log(run)
    val = log["val_dice"]
    row = {"run": label, "epochs": len(val), "best val Dice (epoch)": f"{np.nanmax(val):.3f} ({int(np.nanargmax(val)) + 1})",
           "last val Dice": f"{val[-1]:.3f}",
           "collapsed epochs (val Dice < half the best before)": " ".join(map(str, collapsed_epochs(val))) or "none"}
    # how well a run fits its labelled images once training has settled: the ablations' measure
    late = log.get("supervised_Mask", np.array([]))[late_from - 1:]
    if np.isfinite(late).any():
        row[f"supervised loss, median from epoch {late_from} (lowest)"] = f"{np.nanmedian(late):.2f} ({np.nanmin(late):.2f})"
    result_path = os.path.join(run, "result.json")
    if os.path.exists(result_path):
        result = read_json(result_path)
        for weights in ("last", "best"):
            summary = result["summary_by_weights"].get(weights, {}).get("original", {})
            if score in summary:
                mean, std = summary[score]
                row[f"test {score}, {weights} weights"] = f"{100 * mean:.0f} ± {100 * std:.0f}"
    return row


def table_markdown(rows) -> str:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "–")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def spans_decades(values, decades=3) -> bool:
    """Whether positive `values` span more than `decades` powers of ten (and none is negative):
    such a column is drawn on a log axis."""
    values = values[np.isfinite(values)]
    if not len(values) or values.min() <= 0:
        return False
    return np.log10(values.max() / values.min()) > decades


def plot_curves(runs, columns, path, title=None):
    from sdnet.reporting.plots import pyplot

    plt = pyplot()
    logs = [(label, read_log(run)) for label, run in runs]
    columns = [c for c in columns if any(c in log for _, log in logs)]
    cols = min(3, len(columns))
    rows = int(np.ceil(len(columns) / cols))
    legend_cols = max(1, cols)
    # ten runs or fewer: the default colour cycle; more: twenty colours, so that no two runs share one
    colours = [f"C{i}" for i in range(10)] if len(logs) <= 10 else list(plt.get_cmap("tab20").colors)
    legend_height = 0.16 * int(np.ceil(len(logs) / legend_cols)) + 0.1      # inches, below the panels
    height = 3.0 * rows + legend_height
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, height), squeeze=False)
    for ax, column in zip(axes.ravel(), columns):
        for i, (label, log) in enumerate(logs):
            if column in log:
                ax.plot(np.arange(1, len(log[column]) + 1), log[column], "-o", ms=3, color=colours[i % len(colours)],
                        label=label)
        ax.set_title(column, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.grid(alpha=0.3)
        if column.startswith("area_ratio"):
            ax.axhline(1.0, color="k", lw=0.8, ls=":")
            ax.set_yscale("log")
        elif spans_decades(np.concatenate([log[column] for _, log in logs if column in log])):
            ax.set_yscale("log")          # a loss that diverged in one run would flatten every other curve
    for ax in axes.ravel()[len(columns):]:
        ax.set_axis_off()
    # one legend below the panels, so that with many runs it hides no curve
    handles = {}
    for ax in axes.ravel():
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=legend_cols, fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, legend_height / height, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", required=True, metavar="LABEL=FOLDER")
    p.add_argument("--columns", nargs="+", default=list(DEFAULT_COLUMNS))
    p.add_argument("--out", default=None, help="PNG of the curves")
    p.add_argument("--title", default=None)
    p.add_argument("--score", default="avg",
                   help="test score of the table, original protocol: avg (soft pooled, the paper's), mean "
                        "(of the structures) or a structure")
    p.add_argument("--late-from", type=int, default=21,
                   help="the table's supervised-loss median is taken from this epoch (from 1) on")
    args = p.parse_args(argv)
    runs = []
    for item in args.runs:
        label, _, folder = item.rpartition("=") if "=" in item else (os.path.basename(item.rstrip("/")), "", item)
        runs += find_runs(label, folder)
    if args.out:
        logged = sorted({c for _, run in runs for c in read_log(run)})
        if not any(c in logged for c in args.columns):
            raise ValueError(f"--columns {' '.join(args.columns)}: none is in the runs' training logs; they have "
                             f"{', '.join(logged)}")
        plot_curves(runs, args.columns, args.out, args.title)
    print(table_markdown([summary_row(label, run, args.score, args.late_from) for label, run in runs]))


if __name__ == "__main__":
    main()
