"""The answer a report opens with: at each labelled fraction, which method scores highest, and
whether its lead over the next holds.

The project's rule for calling a difference between methods a finding: the paired t-test holds
(p < 0.05) both over the test patients and over the labelled sets (one per split and seed, the
set the unit), because at few labelled subjects the choice of subjects is the largest source of
variation and the per-patient test does not count it. Anything less is "not shown".
"""
from __future__ import annotations

import math
import re

import numpy as np

from sdnet.config import SMALL_GRID_PRESETS
from sdnet.evaluation import paired_difference, paired_ttest, per_patient_pairs, per_set_pairs

ALPHA = 0.05
SCORE = "mean"      # the mean of the structures' Dice per patient (the paper's avg is a soft pooled Dice)


def lead(pooled, fraction, methods, score=SCORE):
    """The best method at `fraction` (A) against the second best (B), over the runs both have: a dict
    with their names and means (%), the test patients, the labelled sets, the two p-values (nan
    where a test has fewer than two pairs) and the difference over the sets with its interval
    (points); None with fewer than two methods or no run in common."""
    cells = {m: pooled[(m, fraction)][score] for m in methods if score in pooled.get((m, fraction), {})}
    if len(cells) < 2:
        return None
    ranked = sorted(cells, key=lambda m: np.mean(list(cells[m].values())), reverse=True)
    best, second = ranked[:2]
    if not set(cells[best]) & set(cells[second]):
        return None
    volumes, x, y = per_patient_pairs(cells[best], cells[second])
    sets, set_a, set_b = per_set_pairs(cells[best], cells[second])
    return {"a": best, "b": second, "mean_a": 100 * x.mean(), "mean_b": 100 * y.mean(),
            "patients": len(volumes), "sets": len(sets),
            "p_patients": paired_ttest(x, y), "p_sets": paired_ttest(set_a, set_b),
            "set_difference": paired_difference(100 * set_a, 100 * set_b)}


def difference_text(difference) -> str:
    """'+6.4 (95 % interval -13.3 to +26.1)' from `paired_difference`; the bare mean without an interval."""
    mean, low, high = difference
    return f"{mean:+.1f}" if math.isnan(low) else f"{mean:+.1f} (95 % interval {low:+.1f} to {high:+.1f})"


def p_text(p: float) -> str:
    """A p-value as the docs quote it: two significant digits of the unrounded value (0.034, 0.0066,
    and below 1e-3 2.5e-4), so that a quoted p is never rounded twice (0.0145 printed, then 0.015
    written, where the p is 0.01446)."""
    if math.isnan(p):
        return "nan"
    return re.sub(r"e-0*(\d)", r"e-\1", f"{p:.1e}") if p < 1e-3 else f"{p:#.2g}"


def verdict(c: dict) -> str:
    """One line from a comparison of A with B (`lead`'s keys): the two means and whether the
    difference is a finding, with both tests."""
    head = f"{c['a']} {c['mean_a']:.1f} against {c['b']} {c['mean_b']:.1f}"
    over_sets = (f"p = {c['p_sets']:.3g} over the {c['sets']} labelled sets" if c["sets"] > 1
                 else "one labelled set, so no test over sets")
    if c["sets"] > 1:
        over_sets += f", difference over them {difference_text(c['set_difference'])}"
    tests = f"p = {c['p_patients']:.3g} over the {c['patients']} test patients, {over_sets}"
    if c["p_patients"] < ALPHA and c["p_sets"] < ALPHA:      # nan (no test) is never below
        side = "ahead" if c["mean_a"] > c["mean_b"] else "behind"
        return f"{head}: {side}, a finding (holds over patients and labelled sets; {tests})"
    return f"{head}: difference not shown ({tests})"


def answer_lines(pooled, methods, fractions, weights, preset) -> list:
    """The report's opening section (markdown lines); empty with fewer than two methods."""
    leads = [(f, lead(pooled, f, methods)) for f in fractions]
    leads = [(f, c) for f, c in leads if c is not None]
    if not leads:
        return []
    lines = ["## Answer", "",
             "Which method scores highest at each labelled fraction, and does its lead over the next hold? "
             f"Mean of the structures' Dice per test patient (%), {weights} weights; a lead is called a finding "
             f"only where the paired t-test gives p < {ALPHA} both over the test patients and over the labelled "
             "sets (one per split and seed).", ""]
    if preset in SMALL_GRID_PRESETS:
        lines += [f"At the `{preset}` preset this checks that the pipeline runs; what follows is what these "
                  "runs measured, not a finding about the methods.", ""]
    return lines + [f"- {100 * f:g} % labels: {verdict(c)}" for f, c in leads] + [""]
