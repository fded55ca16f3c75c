"""The Table 1 page's numbers recompute from the record in the repository: the rows of its
equal-terms table, the ablations' test columns and over-seeds rows, the per-subject tables at
1.5 % and per-seed ones at 100 %, and the tuning runs' cells are rebuilt here from the archived runs
(docs/results/table1_cpu_acdc_runs, ..._ablations) and must appear on the page as written. A
number edited by hand, rounded twice, or a record changed without the page fails here."""
import csv
import os
import re

import numpy as np
import pytest

from sdnet.reporting.answer import difference_text, p_text
from sdnet.reporting.compare import (compare, compare_by_labelled_set, from_other_folder, share_of_gap,
                                    subjects_text)
from sdnet.reporting.equal_terms import per_patient_mean
from sdnet.reporting.report import collect_results
from sdnet.training.spec import RunSpec, method_and_variant, run_path

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
RESULTS = os.path.join(ROOT, "docs", "results")
PAGE = os.path.join(RESULTS, "table1_cpu_acdc.md")
RECORD = os.path.join(RESULTS, "table1_cpu_acdc_runs")
ABLATIONS = os.path.join(RESULTS, "table1_cpu_acdc_ablations")
SCORE = "mean"
TABLE_SEEDS = (1, 2, 3)
UNET = {0.015: "unet_equal_lr0.001", 1.0: "unet_equal_lr0.0003"}     # the rate each fraction chose
ABLATION_LABELS = {"seg64": "a", "rounding_false": "b", "labelled_update_alone": "c",
                   "labelled_update_with_reconstruction": "d"}


@pytest.fixture(scope="module")
def page():
    """The page with its typographic minus as '-', as Python prints negative numbers."""
    with open(PAGE, encoding="utf-8") as f:
        return f.read().replace("−", "-")


def record_runs(seeds=None, folder=RECORD):
    """The finished runs of these seeds (None: all) in a record folder; the test skips where it is absent."""
    if not os.path.isdir(folder):
        pytest.skip(f"{folder}: not in this checkout")
    return [r for r in collect_results(folder) if seeds is None or r["spec"]["seed"] in seeds]


@pytest.fixture(scope="module")
def record():
    return record_runs(TABLE_SEEDS)


def means_and_ps(results, a, b, fraction):
    """A's 'mean ± std' (last, best) and 'p patients / p sets' against B (last, best): the cells
    every table here quotes."""
    means, ps = [], []
    for weights in ("last", "best"):
        c = compare(results, (a, weights), (b, weights), fraction, score=SCORE)
        by_set = compare_by_labelled_set(results, (a, weights), (b, weights), fraction, score=SCORE)
        means.append(f"{c['mean_a']:.1f} ± {c['std_a']:.1f}")
        ps.append(f"{p_text(c['p'])} / {p_text(by_set['p'])}")
    return means, ps


def cells(results, method, fraction):
    """The equal-terms table's three cells of one method at one fraction: last, best, and the p
    column against the U-Net, or '–' for the U-Net itself."""
    means, ps = means_and_ps(results, method, UNET[fraction], fraction)
    return means + ["; ".join(ps) if method != UNET[fraction] else "–"]


def has_every_table_seed(results, method, fraction) -> bool:
    seeds = {r["spec"]["seed"] for r in results if np.isclose(r["spec"]["fraction"], fraction)
             and method_and_variant(r["spec"]["method"], r["spec"].get("variant")) == method}
    return seeds >= set(TABLE_SEEDS)


@pytest.mark.parametrize("label, methods", [
    ("U-Net", {0.015: "unet_equal_lr0.001", 1.0: "unet_equal_lr0.0003"}),
    ("SDNet, stabilised", {0.015: "sdnet_equal_lr0.0003", 1.0: "sdnet_equal_lr0.0003"}),
    ('SDNet, "faithful"', {0.015: "sdnet_faithful_lr0.001"}),
    ("self-training", {0.015: "selftrain_equal_lr0.001", 1.0: "selftrain_equal_lr0.001"}),
    ("GAN", {0.015: "gan_equal_lr0.0003"}),
    ("Mean Teacher", {0.015: "mean_teacher_equal_lr0.001"}),
])
def test_each_row_of_the_equal_terms_table_recomputes_from_the_record(page, record, label, methods):
    """A method's cells at a fraction are the record's once its chosen rate has run on every
    table seed, and 'not made' until then: archiving the last seed without the row fails here."""
    row = [label]
    for fraction in (0.015, 1.0):
        made = fraction in methods and has_every_table_seed(record, methods[fraction], fraction)
        row += cells(record, methods[fraction], fraction) if made else ["not made", "not made", ""]
    expected = re.sub(" +", " ", "| " + " | ".join(row) + " |")
    assert expected in page, f"the page's row differs from the record's:\n{expected}"


@pytest.mark.parametrize("ablation", ["seg64", "rounding_false", "labelled_update_alone",
                                      "labelled_update_with_reconstruction"])
def test_each_ablation_rows_test_columns_recompute_from_the_record(page, ablation):
    results = record_runs((1,)) + from_other_folder(record_runs((1,), os.path.join(ABLATIONS, ablation)))
    sdnet, unet, ablated = "sdnet_equal_lr0.0003", UNET[1.0], "sdnet_equal_lr0.0003@other"
    tests, ps, shares = [], [], []
    for weights in ("last", "best"):
        c = compare(results, (ablated, weights), (unet, weights), 1.0, score=SCORE)
        gap = share_of_gap(results, (ablated, weights), (unet, weights), (sdnet, weights), 1.0, score=SCORE)
        tests.append(f"{c['mean_a']:.1f}")
        ps.append(p_text(c["p"]))
        shares.append(f"{100 * gap['share']:.0f} %")
    expected = f"| {tests[0]} | {tests[1]} | {ps[0]} / {ps[1]} | "
    lines = [line for line in page.splitlines() if expected in line]
    assert lines, f"no row of the ablation table has {ablation}'s test columns from the record: {expected}"
    assert any(" / ".join(shares) in line for line in lines), \
        f"{ablation}'s row does not give the share of the gap the record gives: {' / '.join(shares)}"


def over_seeds_cells(results, a, b, fraction):
    """'mean ± std / mean ± std | p patients / p seeds (last); ... (best) |' of A against B."""
    means, ps = means_and_ps(results, a, b, fraction)
    return f"{' / '.join(means)} | {'; '.join(ps)} |"


@pytest.mark.parametrize("ablation", ["seg64", "rounding_false", "labelled_update_alone",
                                      "labelled_update_with_reconstruction"])
def test_an_ablation_on_several_seeds_has_its_over_seeds_row_from_the_record(page, ablation):
    """Where an ablation ran on more seeds than the first, its table's over-seeds cells (against
    the U-Net, then its share of the gap against the full SDNet) come from all of them: a seed
    archived without the table being redone fails here."""
    ablated_runs = record_runs(None, os.path.join(ABLATIONS, ablation))
    seeds = sorted({r["spec"]["seed"] for r in ablated_runs})
    if len(seeds) < 2:
        pytest.skip(f"{ablation}: one seed; its row is the seed-1 table's")
    results = record_runs(seeds) + from_other_folder(ablated_runs)
    sdnet, unet, ablated = "sdnet_equal_lr0.0003", UNET[1.0], "sdnet_equal_lr0.0003@other"
    row = over_seeds_cells(results, ablated, unet, 1.0)
    assert row in page, f"{ablation} over seeds {seeds}: the page lacks the record's cells {row}"
    shares = [f"{100 * share_of_gap(results, (ablated, w), (unet, w), (sdnet, w), 1.0, score=SCORE)['share']:.0f} %"
              for w in ("last", "best")]
    against_sdnet = over_seeds_cells(results, ablated, sdnet, 1.0).split(" | ")[1]
    expected = f"| {' / '.join(shares)} | ({ABLATION_LABELS[ablation]}) vs SDNet: {against_sdnet}"
    assert expected in page, f"{ablation} over seeds {seeds}: the page lacks the record's share row {expected}"


@pytest.mark.parametrize("method, fraction, seeds", [("sdnet_faithful_lr0.001", 0.015, range(1, 9)),
                                                     ("selftrain_equal_lr0.001", 0.015, (1, 2, 3)),
                                                     ("selftrain_equal_lr0.001", 1.0, (1, 2, 3)),
                                                     ("gan_equal_lr0.0003", 0.015, (1, 2, 3)),
                                                     ("mean_teacher_equal_lr0.001", 0.015, (1, 2, 3))])
def test_each_labelled_sets_row_and_the_test_over_them_recompute_from_the_record(page, method, fraction, seeds):
    """The per-subject tables at 1.5 % and the per-seed ones at 100 %: each labelled set's U-Net
    and method scores and their difference (last / best), then the row of the test over the sets
    (the subject the unit at 1.5 %, the seed at 100 %), difference, interval and p."""
    results = record_runs(seeds)
    by_weights = {w: compare_by_labelled_set(results, (method, w), (UNET[fraction], w), fraction, score=SCORE)
                  for w in ("last", "best")}
    unit = "subject" if fraction < 1 else "seed"
    lines = page.splitlines()
    for last, best in zip(by_weights["last"]["sets"], by_weights["best"]["sets"]):
        start = f"| {last['seed']} | {subjects_text(last['subjects'])} |"
        cells = (f"| {last['mean_b']:.1f} / {best['mean_b']:.1f} | {last['mean_a']:.1f} / {best['mean_a']:.1f} | "
                 f"{last['mean_a'] - last['mean_b']:+.1f} / {best['mean_a'] - best['mean_b']:+.1f} |")
        assert any(line.startswith(start) and cells in line for line in lines), \
            f"{method}, seed {last['seed']}: no row {start} ... {cells}"
    over = [f"{difference_text(by_weights[w]['difference'])}, p = {p_text(by_weights[w]['p'])}" for w in ("last", "best")]
    expected = f"{over[0]} / {over[1].replace('95 % interval ', '')} |"
    assert any(f"seeds 1–{max(seeds)}, the {unit} the unit" in line and expected in line for line in lines), \
        f"{method} at {fraction:g}: no row of the test over seeds 1–{max(seeds)} with {expected}"


def tuning_cells(record, method, rate, fraction):
    """A tuning run's two cells (seed 1): 'best validation (epoch), epochs', the epoch counted over
    all of the run's phases as its training log lists them, and 'test last / best'; None where the
    record lacks the run."""
    spec = RunSpec(method, fraction, split=0, seed=1, variant=f"equal_lr{rate}")
    found = [r for r in record if r["spec"]["seed"] == 1 and np.isclose(r["spec"]["fraction"], fraction)
             and method_and_variant(r["spec"]["method"], r["spec"].get("variant")) == f"{method}_{spec.variant}"]
    if not found:
        return None
    with open(os.path.join(run_path(RECORD, spec), "training_log.csv"), encoding="utf-8") as f:
        validation = [float(row["val_dice"]) for row in csv.DictReader(f)]
    best = max(range(len(validation)), key=validation.__getitem__)
    tests = [per_patient_mean(found, w, SCORE)[0] for w in ("last", "best")]
    return f"{validation[best]:.3f} ({best + 1}), {len(validation)}", f"{tests[0]:.1f} / {tests[1]:.1f}"


def tuning_table(page, fraction):
    """The lines of the page's tuning table at a fraction: the one headed '| seed 1, 1.5 % |' or
    '| seed 1, 100 % |', down to its first line that is not a table row."""
    lines = page.splitlines()
    head = f"| seed 1, {100 * fraction:g} % |"
    starts = [i for i, line in enumerate(lines) if line.startswith(head)]
    assert len(starts) == 1, f"the page has {len(starts)} tuning tables headed {head}, not one"
    table = []
    for line in lines[starts[0]:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


@pytest.mark.parametrize("label, method, fraction", [("GAN", "gan", 0.015), ("Mean Teacher", "mean_teacher", 0.015),
                                                     ("self-training", "selftrain", 1.0),
                                                     ("Mean Teacher", "mean_teacher", 1.0)])
def test_each_tuning_runs_cells_recompute_from_the_record(page, record, label, method, fraction):
    """The tuning tables (seed 1, the three rates; one table a fraction): each run's best
    validation Dice with its epoch and its number of epochs, and its test means with the last and
    best weights, in the rate's column of the method's two rows."""
    lines = tuning_table(page, fraction)
    made = 0
    for column, rate in enumerate(("0.0001", "0.0003", "0.001"), start=1):
        found = tuning_cells(record, method, rate, fraction)
        if found is None:
            continue
        made += 1
        for row, cell in zip(("best validation (epoch), epochs", "test, last / best"), found):
            start = f"| {label}: {row} |"
            assert any(line.startswith(start) and cell in line.split("|")[column + 1] for line in lines
                       if line.count("|") == 5), f"{label}, {rate}: no row {start} with {cell} in the rate's column"
    if not made:
        pytest.skip(f"{label} at {fraction:g}: no tuning run in the record")
