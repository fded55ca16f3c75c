"""Table 3's numbers from finished runs of the MR / CT mixtures: each model's test Dice on the
test subjects of each modality apart (original protocol, avg = pooled soft Dice), beside the
published table, and the plot of both against the MR share of a fixed-size training set."""
from __future__ import annotations

import os

import numpy as np

from sdnet.config import parse_modality_fractions
from sdnet.io import read_json
from sdnet.reporting.plots import pyplot
from sdnet.reporting.published import TABLE3_MIXTURES as PUBLISHED
from sdnet.reporting.report import not_comparable_note


def scores_by_modality(result: dict, test, weights="last") -> dict:
    """{modality tag: per-patient avg Dice %} of one run's result.json, the test patients split by
    the modality of their images."""
    tag_of = dict(zip(test.subject.astype(str).tolist(), test.modality.tolist()))
    by_tag = {}
    for row in result["volumes_by_weights"][weights]["original"]:
        by_tag.setdefault(tag_of[str(row["volume"])], []).append(100 * row["scores"]["avg"])
    return {tag: np.array(v) for tag, v in by_tag.items()}


def _cell(values, trained) -> str:
    text = f"{values.mean():.0f} ± {values.std():.0f}" if values is not None and len(values) else "–"
    return text if trained else f"({text}, not trained on)"


def _published(cell) -> str:
    return "–" if cell is None else f"{cell[0]} ± {cell[1]}"


def labelled_counts(result: dict, train, tags) -> dict:
    """{tag: (labelled subjects, their images, training subjects of the tag)} of one run."""
    subjects = train.subject.astype(str)
    labelled = {str(s) for s in result.get("labelled_subjects", [])}
    counts = {}
    for tag in tags:
        of_tag = set(subjects[train.modality == tag].tolist())
        chosen = of_tag & labelled
        counts[tag] = (len(chosen), int(np.isin(subjects, list(chosen)).sum()), len(of_tag))
    return counts


def _count_cell(count) -> str:
    subjects, images, total = count
    return f"{subjects} of {total} ({images} images)"


def mixtures_report(runs: dict, test_data, out, weights="last", tags=("MR", "CT"), training_data=None,
                    preset="paper") -> list:
    """`runs`: {RunSpec: run folder}; `test_data(split)` / `training_data(split)`: that split's
    test / training Data; `tags`: the data's tags that play MR and CT (a user's cine and LGE);
    `preset`: the runs' (below `paper`, the published columns get a not-comparable note).
    The table per mixture, with the labelled subjects and images of each modality a mixture
    really trained on, the test subjects per modality, and the fixed-total plot in `out`."""
    first, second = tags
    rows, curve, splits = [], [], set()
    for spec, folder in sorted(runs.items(), key=lambda item: item[0].name):
        result = read_json(os.path.join(folder, "result.json"))
        shares = parse_modality_fractions(read_json(os.path.join(folder, "run.json"))["config"]["modality_fractions"])
        mr, ct = shares.get(first, 0.0), shares.get(second, 0.0)
        scores = scores_by_modality(result, test_data(spec.split), weights)
        published = PUBLISHED.get((mr, ct), (None, None))
        splits.add(spec.split)
        counts = labelled_counts(result, training_data(spec.split), tags) if training_data else None
        labelled = (f" {_count_cell(counts[first])} | {_count_cell(counts[second])} |" if counts else "")
        rows.append(f"| {100 * mr:g} % | {100 * ct:g} % |{labelled} {_cell(scores.get(first), mr > 0)} | "
                    f"{_cell(scores.get(second), ct > 0)} | {_published(published[0])} | {_published(published[1])} |")
        if mr > 0 and ct > 0 and np.isclose(mr + ct, 1.0):
            curve.append((mr, scores.get(first), scores.get(second), published))
    lines = ["### Table 3: test Dice (%) on each modality (per patient, avg = pooled soft Dice)", ""]
    if tuple(tags) != ("MR", "CT"):
        lines += [f"{first} plays MR's part and {second} CT's: the published columns are the paper's MR and CT.", ""]
    if preset != "paper":
        lines += [not_comparable_note(preset), ""]
    for split in sorted(splits):
        test = test_data(split)
        patients = {t: len(set(test.subject[test.modality == t].tolist())) for t in tags}
        lines += [f"Test patients (split {split}): " + ", ".join(f"{n} {t}" for t, n in patients.items()) + "."]
        few = [t for t, n in patients.items() if n < 5]
        if few:
            lines += [f"**Few test patients of {' and '.join(few)}**: a mean ± std over "
                      f"{min(patients[t] for t in few)} values is a rough estimate."]
    labelled_header = (f" {first} labelled: subjects (images) | {second} labelled: subjects (images) |"
                       if training_data else "")
    lines += ["", f"| {first} share | {second} share |{labelled_header} {first} test | {second} test | "
              "published MR test | published CT test |",
              "|---|---|" + ("---|---|" if training_data else "") + "---|---|---|---|", *rows, ""]
    if len(curve) >= 2:
        fixed_total_plot(sorted(curve, key=lambda c: c[0]), os.path.join(out, "table3_mr_share.png"), tags)
        lines += [f"![Test Dice against the {first} share of the training set](table3_mr_share.png)", ""]
    return lines


def fixed_total_plot(curve, path, tags=("MR", "CT")):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    shares = [100 * c[0] for c in curve]
    for k, (tag, paper_tag, colour) in enumerate(zip(tags, ("MR", "CT"), ("tab:blue", "tab:orange"))):
        measured = [c[1 + k].mean() if c[1 + k] is not None else np.nan for c in curve]
        published = [c[3][k][0] if c[3][k] is not None else np.nan for c in curve]
        ax.plot(shares, measured, "o-", color=colour, label=f"{tag} test (measured)")
        ax.plot(shares, published, "s--", color=colour, alpha=0.6, label=f"{paper_tag} test (published)")
    ax.set_xlabel(f"{tags[0]} share of the training subjects (%)")
    ax.set_ylabel("Dice (%)")
    ax.set_title("Table 3's fixed-total rows", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
