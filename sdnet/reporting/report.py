"""An experiment's report, rebuilt from the result.json files on disk: results.csv, report.md
beside the published table, and the Dice-against-labels plot.

Because it reads the disk, runs finished by other invocations, processes or machines count, and
a partial grid gives a partial report that lists what is missing.
"""
from __future__ import annotations

import csv
import glob
import logging
import os

import numpy as np

from sdnet.evaluation import paired_ttest, per_patient_pairs
from sdnet.io import atomic_write, read_json
from sdnet.methods.registry import display_name
from sdnet.reporting.answer import answer_lines
from sdnet.reporting.published import PublishedTable

log = logging.getLogger("sdnet")


def collect_results(out) -> list:
    """Every finished run's result.json under `out`/runs (folders set aside are hidden)."""
    results = []
    for path in sorted(glob.glob(os.path.join(out, "runs", "**", "result.json"), recursive=True)):
        try:
            results.append(read_json(path))
        except (OSError, ValueError) as err:
            log.warning("%s: unreadable result (%s); left out of the report", path, err)
    return results


def method_label(result_or_spec) -> str:
    spec = result_or_spec.get("spec", result_or_spec)
    name = display_name(spec["method"])
    return f"{name} ({spec['variant']})" if spec.get("variant") else name


def columns(results, protocol="original") -> tuple:
    """The score columns of a protocol's table: the data set's structures, then "avg" (the
    original protocol's soft pooled Dice, the paper's headline) or "mean" (the standard
    protocol's mean of the structures)."""
    return tuple(results[0]["structures"]) + (("avg",) if protocol == "original" else ("mean",))


def pooled_scores(results, protocol="original", weights=None):
    """{(method label, fraction): {column: {(split, seed, volume): score}}} over every run;
    `weights` picks the last- or best-epoch evaluation (default: each run's configured one)."""
    pooled = {}
    for r in results:
        spec = r["spec"]
        cell = pooled.setdefault((method_label(r), spec["fraction"]), {})
        for v in r["volumes_by_weights"].get(weights or r["test_weights"], {}).get(protocol, []):
            for k, score in v["scores"].items():
                cell.setdefault(k, {})[(spec["split"], spec["seed"], v["volume"])] = score
    return {key: cell for key, cell in pooled.items() if cell}


SDNET = display_name("sdnet")


def significance(pooled, fraction, column, methods):
    """(p-value of SDNet against the second best, SDNet is best) for one cell of the table."""
    means = {m: np.mean(list(pooled[(m, fraction)][column].values())) for m in methods if (m, fraction) in pooled}
    if SDNET not in means or len(means) < 2:
        return float("nan"), False
    ranked = sorted(means, key=means.get, reverse=True)
    other = ranked[1] if ranked[0] == SDNET else ranked[0]
    _, a, b = per_patient_pairs(pooled[(SDNET, fraction)][column], pooled[(other, fraction)][column])
    return paired_ttest(a, b), ranked[0] == SDNET


def write_results_csv(results, path):
    with atomic_write(path) as f:
        writer = csv.writer(f)
        writer.writerow(["method", "variant", "fraction", "split", "seed", "weights", "protocol", "structure",
                         "mean", "std", "volumes", "best_val_dice", "epochs_trained", "backend", "device"])
        for r in results:
            s = r["spec"]
            for weights, by_protocol in r["summary_by_weights"].items():
                for protocol, summary in by_protocol.items():
                    volumes = len(r["volumes_by_weights"][weights][protocol])
                    for structure, (mean, std) in summary.items():
                        writer.writerow([s["method"], s.get("variant", ""), s["fraction"], s["split"], s["seed"],
                                         weights, protocol, structure, f"{mean:.4f}", f"{std:.4f}", volumes,
                                         f"{r['best_val_dice']:.4f}", r["epochs_trained"],
                                         r["hardware"]["backend"], r["hardware"]["device"]])


def _cell(scores):
    values = 100 * np.array(list(scores.values()))
    return float(values.mean()), float(values.std())


def _header(methods, cols):
    return ["| labels | " + " | ".join(f"{m} {c}" for m in methods for c in cols) + " |",
            "|" + "---|" * (1 + len(methods) * len(cols))]


def table_markdown(pooled, methods, fractions, cols, star=True):
    lines = _header(methods, cols)
    for fraction in fractions:
        cells = []
        for m in methods:
            for c in cols:
                if (m, fraction) not in pooled or c not in pooled[(m, fraction)]:
                    cells.append("–")
                    continue
                mean, std = _cell(pooled[(m, fraction)][c])
                mark = ""
                if star and m == SDNET:
                    p, best = significance(pooled, fraction, c, methods)
                    mark = "*" if best and p < 0.05 else ""
                cells.append(f"{mean:.0f}±{std:.0f}{mark}")
        lines.append(f"| {fraction:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_markdown(table: PublishedTable, method_keys, fractions, cols, difference_from=None):
    """The published table (or, with `difference_from`, measured minus published)."""
    lines = _header([display_name(m) for m in method_keys], cols)
    for fraction in fractions:
        cells = []
        for m in method_keys:
            row = table.cell(fraction, m)
            for c in cols:
                if row is None or c not in row:
                    cells.append("–")
                    continue
                mean, std = row[c]
                if difference_from is None:
                    star = "*" if m == "sdnet" and (fraction, c) in table.significant else ""
                    cells.append(f"{mean}±{'?' if std is None else std}{star}")
                else:
                    measured = difference_from.get((display_name(m), fraction), {})
                    cells.append(f"{_cell(measured[c])[0] - mean:+.0f}" if c in measured else "–")
        lines.append(f"| {fraction:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def updates_markdown(results, methods):
    """How many gradient updates each method made (per trainer, mean over runs): the budget
    every comparison must state."""
    lines = ["| method | runs | epochs (mean) | updates per trainer (mean over runs) |", "|---|---|---|---|"]
    for m in methods:
        runs = [r for r in results if method_label(r) == m]
        if not runs:
            continue
        trainers = sorted({t for r in runs for t in r["optimizer_iterations"]})
        updates = ", ".join(f"{t} {np.mean([r['optimizer_iterations'].get(t, 0) for r in runs]):.0f}"
                            for t in trainers)
        lines.append(f"| {m} | {len(runs)} | {np.mean([r['epochs_trained'] for r in runs]):.1f} | {updates} |")
    return "\n".join(lines)


def factors_markdown(results, methods, published=None) -> list:
    """Lines of a 'Learnt factors' section (Section 5.6's numbers, last weights, test images)
    when the runs recorded them: anatomy channels zero on every test image, and the z
    dimensions' mean posterior variances as the paper gives them (the two lowest, the mean of
    the rest); means over the runs of each row."""
    rows = {}
    for r in results:
        if r.get("factors"):
            rows.setdefault(method_label(r), []).append(r)
    if not rows:
        return []
    notes = published.variant_notes if published else {}
    lines = ["## Learnt factors (last weights, test images)", "",
             "| run | C | C all zero | nz | two lowest z variances | mean z variance of the rest | published |",
             "|---|---|---|---|---|---|---|"]
    for label in [m for m in methods if m in rows]:
        group = rows[label]
        factors = [r["factors"] for r in group]
        variances = np.mean([f["z_posterior_variance"] for f in factors], axis=0)
        rest = f"{np.mean(variances[2:]):.2f}" if len(variances) > 2 else "–"
        lines.append(f"| {label} | {factors[0]['anatomy_channels']} | "
                     f"{np.mean([f['empty_anatomy_channels'] for f in factors]):.1f} | {factors[0]['z_dimensions']} | "
                     f"{', '.join(f'{v:.2f}' for v in variances[:2])} | {rest} | "
                     f"{notes.get(group[0]['spec'].get('variant'), '')} |")
    return lines + [""]


POOLED_NOTE = "**The tables below pool the test patients of"      # an analysis goes before it
MEASURED_HEADING = "## Measured (the authors' protocol)"          # or before this, the first table


def not_comparable_note(preset) -> str:
    """In the header of a report at a preset below `paper` (and beside Table 3's published columns)."""
    return (f"**Not comparable**: these runs use the `{preset}` preset (smaller images, networks and training "
            "than the paper's), so a difference from the published numbers measures the preset as much as the "
            "method; only `--preset paper` runs are set beside them on equal terms.")


def write_report(out, title, results, method_order, fraction_order, published: PublishedTable = None,
                 context: dict = None, missing=(), pooled_modalities=(), answer=True):
    """report.md, results.csv and (with two or more fractions) dice_vs_labels.png in `out`; returns the
    measured table (markdown). `missing`: names of requested runs not finished yet;
    `pooled_modalities`: the data's modality tags, when the test patients of several are pooled;
    `answer`: open with the best method's lead per fraction (`sdnet.reporting.answer`)."""
    from sdnet.reporting.plots import dice_vs_labels

    write_results_csv(results, os.path.join(out, "results.csv"))
    present = {method_label(r) for r in results}
    labels = list(dict.fromkeys(method_label({"method": m, "variant": v}) for m, v in method_order))
    methods = [m for m in labels if m in present] + sorted(present - set(labels))
    fractions = sorted({r["spec"]["fraction"] for r in results},
                       key=lambda f: (list(fraction_order).index(f) if f in fraction_order else len(fraction_order), -f))
    cols = columns(results)
    original, standard = pooled_scores(results, "original"), pooled_scores(results, "standard")
    measured = table_markdown(original, methods, fractions, cols)
    means = table_markdown(original, methods, fractions, ("mean",))
    other = "best" if results[0]["test_weights"] == "last" else "last"
    other_scores = pooled_scores(results, "original", weights=other)
    notes = sorted({n for r in results for n in r["notes"]})
    preset = (context or {}).get("preset", "paper")
    wall = sum(r["wall_s"] for r in results)
    opening = answer_lines(original, methods, fractions, results[0]["test_weights"], preset) if answer else []
    lines = [f"# {title}", "", *opening,
             *[f"- {k}: {v}" for k, v in (context or {}).items()],
             f"- splits: {sorted({r['spec']['split'] for r in results})}; "
             f"seeds: {sorted({r['spec']['seed'] for r in results})}; runs: {len(results)}; "
             f"training wall time: {wall / 60:.1f} min",
             f"- test weights: {results[0]['test_weights']} epoch; Dice %, mean±std over test volumes "
             "pooled over the splits and seeds run: a volume is a patient (its labelled frames together: "
             "ED and ES in ACDC) in the original protocol, a 3-D frame in the standard one",
             *[f"- frames: {phase} only (one per subject)" for phase in sorted({r.get("phase", "all") for r in results})
               if phase != "all"],
             *[f"- data note: {n}" for n in notes],
             *([f"- comparability: {not_comparable_note(preset)}"] if preset != "paper" else []), ""]
    if missing:
        lines += [f"## Not finished yet ({len(missing)} run(s) of this grid)", "",
                  *[f"- {name}" for name in missing], ""]
    pooled = (f", {' and '.join(pooled_modalities)} test patients pooled" if len(pooled_modalities) > 1 else "")
    if pooled:
        lines += [f"{POOLED_NOTE} {' and '.join(pooled_modalities)}**: the per-modality scores are "
                  "the experiment's analysis, above.", ""]
    lines += [f"{MEASURED_HEADING}{pooled}", "",
              "Per patient: each structure's Dice on the rounded prediction, and avg = the Dice of the soft "
              "prediction pooled over the structures (the paper's headline column; not the mean of the three). "
              "Each is a mean over the patient's slices. `*`: SDNet best and significantly better than the "
              "second best (paired t-test over test patients, each patient's scores first averaged over the seeds and splits both methods ran, p < 0.05).", "", measured, "",
              "Mean of the structures' Dice (the same protocol; not the paper's avg):", "", means, ""]
    present_keys = {r["spec"]["method"] for r in results if not r["spec"].get("variant")}
    published_methods = [m for m in dict.fromkeys(m for m, _ in method_order)
                         if published and m in published.methods and m in present_keys]
    if published and published_methods:
        lines += [f"## Published (Chartsias et al. 2019, {published.name})", "",
                  published_markdown(published, published_methods, fractions, cols), "",
                  "## Measured minus published (Dice points)", "",
                  published_markdown(published, published_methods, fractions, cols, difference_from=original), ""]
    lines += [f"## Measured, standard protocol (hard 3-D Dice per structure per frame; mean over structures){pooled}", "",
              table_markdown(standard, methods, fractions, columns(results, "standard"), star=False), "",
              f"## Measured with the {other} epoch's weights (original protocol){pooled}", "",
              table_markdown(other_scores, methods, fractions, cols) if other_scores else "(none)", "",
              "## Training budget", "", updates_markdown(results, methods), "",
              *factors_markdown(results, methods, published)]
    if len(fractions) > 1:      # one labelled fraction: a plot of dots on one vertical line says nothing
        lines += ["![average Dice against labelled fraction](dice_vs_labels.png)", ""]
    with atomic_write(os.path.join(out, "report.md")) as f:
        f.write("\n".join(lines))
    if len(fractions) < 2:
        return measured
    avg = {m: {f: _cell(original[(m, f)]["avg"])[0] for f in fractions if (m, f) in original} for m in methods}
    pub = {}
    if published:
        for m in published_methods:
            pub[display_name(m)] = {f: published.cell(f, m)["avg"][0] for f in fractions
                                           if published.cell(f, m) and "avg" in published.cell(f, m)}
    dice_vs_labels(avg, pub, os.path.join(out, "dice_vs_labels.png"))
    return measured
