"""The candidate rule: the highest best-validation Dice on the runs every candidate made."""
from sdnet.training.tuning import choose


def result(split, seed, val):
    return {"spec": {"split": split, "seed": seed}, "best_val_dice": val}


def test_candidates_are_compared_on_the_runs_they_share_only():
    # b's extra seeds (run because it was chosen before) must not change the comparison
    runs = {"a": [result(0, 1, 0.70)],
            "b": [result(0, 1, 0.60), result(0, 2, 0.95), result(0, 3, 0.95)]}
    assert choose(runs) == ("a", {"a": 0.70, "b": 0.60})


def test_no_shared_run_chooses_nothing():
    assert choose({"a": [result(0, 1, 0.7)], "b": [result(0, 2, 0.6)]}) == (None, {})
    assert choose({}) == (None, {})
