"""Table 1 under the equal-terms protocol (experiments/table1_equal_terms.py): each method's
learning rate chosen on its own validation Dice, then its test scores with the last and the
best-validation weights, and paired tests against the U-Net with the test patient as the unit.

A row is a method in one setting ("equal", "faithful", "ownbn"); its candidates are that
setting's variants at each learning rate (`<setting>_lr<rate>`).
"""
from __future__ import annotations

import os
import re

import numpy as np

from sdnet.io import read_json
from sdnet.reporting.answer import ALPHA, verdict
from sdnet.reporting.compare import compare, compare_by_labelled_set, labelled_set_rows
from sdnet.methods.registry import display_name
from sdnet.training.spec import method_and_variant
from sdnet.training.tuning import choose

VARIANT = re.compile(r"^(?P<setting>.+)_lr(?P<rate>[0-9.e+-]+)$")
SETTING_NAMES = {"equal": "", "faithful": "faithful", "ownbn": "statistics of its own images"}
REFERENCE = ("unet", "equal")            # what every row is tested against


def row_label(method, setting) -> str:
    name = display_name(method)
    note = SETTING_NAMES.get(setting, setting)
    if method == "sdnet" and setting == "equal":
        note = "stabilised"
    return f"{name} ({note})" if note else name


def candidates(results) -> dict:
    """{(method, setting, fraction): {rate: [result of each seed and split]}}."""
    found = {}
    for r in results:
        spec = r["spec"]
        match = VARIANT.match(spec.get("variant") or "")
        if not match:
            continue
        key = (spec["method"], match.group("setting"), spec["fraction"])
        found.setdefault(key, {}).setdefault(float(match.group("rate")), []).append(r)
    return found


def choose_rates(found: dict) -> dict:
    """{row key: (chosen rate, {rate: mean best validation Dice})}: the rule the grid chose by
    (`sdnet.training.tuning.choose`: the runs every rate made, the tuning seed's); test scores are
    never looked at. Rows whose rates share no run yet are left out."""
    chosen = {}
    for key, by_rate in found.items():
        rate, validation = choose(by_rate)
        if rate is not None:
            chosen[key] = (rate, validation)
    return chosen


def variant_name(setting, rate) -> str:
    return f"{setting}_lr{rate:g}"


def per_patient_mean(runs, weights, score) -> tuple:
    """Mean and standard deviation over test patients of each patient's score averaged over runs (%)."""
    by_volume = {}
    for r in runs:
        for v in r["volumes_by_weights"].get(weights, {}).get("original", []):
            by_volume.setdefault(v["volume"], []).append(v["scores"][score])
    values = np.array([np.mean(v) for v in by_volume.values()]) * 100
    return (float(values.mean()), float(values.std())) if len(values) else (float("nan"), float("nan"))


def labelled_updates(runs) -> str:
    counts = sorted({int(r["optimizer_iterations"].get("supervised", 0)) for r in runs})
    return "/".join(str(c) for c in counts)


def declared_rates(specs) -> dict:
    """{(method, setting, fraction): {rate}}: the candidates the grid declares for each row."""
    declared = {}
    for spec in specs:
        match = VARIANT.match(spec.variant or "")
        if match:
            declared.setdefault((spec.method, match.group("setting"), spec.fraction), set()).add(
                float(match.group("rate")))
    return declared


def equal_terms_report(results: list, fractions, declared=None) -> list:
    """Markdown lines: per fraction, a row per method and setting with its chosen rate, the
    validation Dice of every rate, its test scores (last and best weights) and the per-patient p
    against the U-Net. `declared` (`declared_rates`): a row whose candidates have not all run on
    the tuning seed says so, since its rate is not chosen yet."""
    found = candidates(results)
    chosen = choose_rates(found)
    lines = answer_lines(results, chosen, fractions)
    lines += ["## Equal terms: each method at its own best learning rate", "",
             "Each method's learning rate is the candidate with the highest best-validation Dice on the runs "
             "every candidate made (the tuning seed's; test scores are not looked at), and the other seeds run "
             "that rate only; the test scores are then the mean of the structures' Dice "
             "(original protocol, rounded masks) per test patient, averaged over the seeds, mean ± std over "
             "patients. p: paired t-test against the U-Net with the same weights rule, the patient the unit "
             "(its scores averaged over the seeds and splits both ran). The table after it repeats the test per "
             "labelled set (the seed picks the labelled subjects) and over the sets, the set the unit: the test "
             "that counts the choice of labelled subjects.", ""]
    for fraction in ordered_fractions(found, fractions):
        rows = sorted((k for k in chosen if k[2] == fraction),
                      key=lambda k: (k[:2] != REFERENCE, k[0] != "sdnet", k))
        reference = chosen.get((*REFERENCE, fraction))
        lines += [f"### Labelled fraction {fraction:g}", "",
                  "| method | rate (validation Dice per rate) | runs | labelled updates | test mean, last | "
                  "test mean, best | p vs U-Net, last | p vs U-Net, best |", "|---|---|---|---|---|---|---|---|"]
        for key in rows:
            method, setting, _ = key
            rate, validation = chosen[key]
            runs = found[key][rate]
            rates = ", ".join(f"{'**' if r == rate else ''}{r:g}: {100 * v:.1f}{'**' if r == rate else ''}"
                              for r, v in sorted(validation.items()))
            expected = (declared or {}).get(key, set())
            if len(validation) < len(expected):
                rates += f" (not chosen yet: {len(validation)} of {len(expected)} rates run)"
            cells = [f"{m:.1f} ± {s:.1f}" for m, s in (per_patient_mean(runs, w, "mean") for w in ("last", "best"))]
            tests = []
            for weights in ("last", "best"):
                if reference is None or key[:2] == REFERENCE:
                    tests.append("–")
                    continue
                try:
                    c = compare(results, (method_and_variant(method, variant_name(setting, rate)), weights),
                                (method_and_variant(REFERENCE[0], variant_name(REFERENCE[1], reference[0])), weights),
                                fraction, "original", "mean")
                    seeds = ", ".join(str(seed) for seed in c["seeds"])
                    tests.append(f"{c['p']:.3g} ({c['patients']} patients, seed{'s' if len(c['seeds']) > 1 else ''} {seeds})")
                except ValueError:
                    tests.append("–")
            lines.append(f"| {row_label(method, setting)} | {rates} | {len(runs)} | {labelled_updates(runs)} | "
                         f"{cells[0]} | {cells[1]} | {tests[0]} | {tests[1]} |")
        lines.append("")
        if reference is not None:
            lines += by_labelled_set_table(results, rows, chosen, reference, fraction)
    return lines


def ordered_fractions(keys, fractions) -> list:
    """The fractions of `keys` ((method, setting, fraction)), in the experiment's order."""
    return sorted({k[2] for k in keys}, key=lambda f: (list(fractions).index(f) if f in fractions else 99, -f))


def against_reference(results, key, chosen, weights):
    """`sdnet.reporting.answer.verdict`'s comparison of one row (at its chosen rate) with the U-Net
    (at its own), with the same weights rule; None where they share no run."""
    fraction = key[2]
    reference = chosen.get((*REFERENCE, fraction))
    if reference is None or key[:2] == REFERENCE:
        return None
    a = (method_and_variant(key[0], variant_name(key[1], chosen[key][0])), weights)
    b = (method_and_variant(REFERENCE[0], variant_name(REFERENCE[1], reference[0])), weights)
    try:
        c = compare(results, a, b, fraction, "original", "mean")
        by_set = compare_by_labelled_set(results, a, b, fraction, "original", "mean")
    except ValueError:
        return None
    return {"a": row_label(*key[:2]), "b": row_label(*REFERENCE), "mean_a": c["mean_a"], "mean_b": c["mean_b"],
            "patients": c["patients"], "sets": len(by_set["sets"]), "p_patients": c["p"], "p_sets": by_set["p"],
            "set_difference": by_set["difference"]}


def answer_lines(results, chosen, fractions) -> list:
    """The report's answer: every row at its chosen rate against the U-Net, per fraction and
    weights rule, with both tests (`sdnet.reporting.answer`)."""
    found = [(fraction, key, weights, against_reference(results, key, chosen, weights))
             for fraction in ordered_fractions(chosen, fractions)
             for key in sorted(k for k in chosen if k[2] == fraction) for weights in ("last", "best")]
    found = [item for item in found if item[3] is not None]
    if not found:
        return []
    return ["## Answer", "",
            "Each method at its chosen learning rate against the U-Net at its own, with the same weights rule: "
            "mean of the structures' Dice per test patient (%); a difference is called a finding only where the "
            f"paired t-test gives p < {ALPHA} both over the test patients and over the labelled sets (one per "
            "split and seed).", "",
            *[f"- {100 * fraction:g} % labels, {weights} weights: {verdict(c)}" for fraction, _, weights, c in found],
            ""]


def by_labelled_set_table(results, rows, chosen, reference, fraction) -> list:
    """Markdown: every row against the U-Net per labelled set (the seed picks the labelled
    subjects), then over the sets with the set the unit: the per-patient p above does not count
    the choice of labelled subjects, and at a few subjects it is the largest source of variation."""
    others = [key for key in rows if key[:2] != REFERENCE]
    if not others:
        return []
    unet = method_and_variant(REFERENCE[0], variant_name(REFERENCE[1], reference[0]))
    lines = [f"#### Per labelled set, against the U-Net (fraction {fraction:g})", "",
             "| method | weights | labelled set | labelled subjects | method's test mean | U-Net's | "
             "p (over its test patients; last row: over the sets) | difference (last row: over the sets, 95 % "
             "interval) |",
             "|---|---|---|---|---|---|---|---|"]
    for key in others:
        name = method_and_variant(key[0], variant_name(key[1], chosen[key][0]))
        for weights in ("last", "best"):
            try:
                c = compare_by_labelled_set(results, (name, weights), (unet, weights), fraction, "original", "mean")
            except ValueError as err:
                lines.append(f"| {row_label(*key[:2])} | {weights} | {err} | | | | | |")
                continue
            lines += [f"| {row_label(*key[:2])} | {weights} | {' | '.join(row[:4])} | {row[5]} | {row[6]} |"
                      for row in labelled_set_rows(c)]
    return lines + [""]


def analyse(plan, folders: dict) -> list:
    """The experiment's analysis: the equal-terms table of every finished run."""
    results = [read_json(os.path.join(f, "result.json")) for f in folders.values()]
    return equal_terms_report(results, plan.exp.fractions, declared_rates(plan.grid.all_specs()))
