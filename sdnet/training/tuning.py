"""A setting chosen on validation: the candidates of one setting (e.g. a method's learning rates)
are compared on their runs of the grid's first seed, the *tuning seed*, and only the chosen one
is run for the other seeds. Test scores are never read: the rule is the highest mean
best-validation Dice. No Keras here: sweep drivers and reports use the same rule."""
from __future__ import annotations

import numpy as np


def choose(runs_by_candidate: dict) -> tuple:
    """{candidate: [result.json dicts]} -> (chosen candidate, {candidate: mean best-validation
    Dice}), each candidate's mean over the (split, seed) pairs that every candidate ran, so that
    candidates run on more seeds (the chosen one) are compared on the same runs as the rest.
    (None, {}) when the candidates share no run."""
    def pairs(runs):
        return {(r["spec"]["split"], r["spec"]["seed"]): r["best_val_dice"] for r in runs}

    by_candidate = {c: pairs(runs) for c, runs in runs_by_candidate.items()}
    shared = set.intersection(*(set(p) for p in by_candidate.values())) if by_candidate else set()
    if not shared:
        return None, {}
    validation = {c: float(np.mean([p[k] for k in sorted(shared)])) for c, p in by_candidate.items()}
    return max(validation, key=validation.get), validation
