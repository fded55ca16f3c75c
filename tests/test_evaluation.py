import numpy as np
import pytest

from sdnet.evaluation import (hard_labels, original_volume_scores, paired_ttest, slice_dice,
                              standard_volume_scores, summarise)


def test_slice_dice_by_hand():
    y = np.zeros((1, 2, 2, 1))
    y[0, 0, 0] = 1
    p = np.zeros((1, 2, 2, 1))
    p[0, 0, 0], p[0, 1, 1] = 0.5, 1.0
    # (2 * 0.5 + 0.1) / (1 + 1.5 + 0.1)
    assert slice_dice(y, p)[0] == pytest.approx(1.1 / 2.6)
    assert slice_dice(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)))[0] == 1.0  # both empty


def test_original_protocol_rounds_for_structures_only():
    masks = np.zeros((2, 2, 2, 3))
    masks[:, 0, 0, 0] = 1
    pred = np.zeros((2, 2, 2, 3))
    pred[:, 0, 0, 0] = 0.6
    scores = original_volume_scores(masks, pred, ("MYO", "LV", "RV"))
    assert scores["Dice"] == pytest.approx((2 * 0.6 + 0.1) / (1 + 0.6 + 0.1))
    assert scores["MYO"] == pytest.approx(1.0)       # round(0.6) = 1 matches
    assert scores["LV"] == 1.0 and scores["RV"] == 1.0    # empty and empty


def test_standard_protocol_is_hard_3d_dice():
    masks = np.zeros((2, 4, 4, 3))
    masks[0, :2, :2, 1] = 1                           # 4 LV pixels
    pred = np.zeros((2, 4, 4, 3))
    pred[0, :2, :1, 1] = 0.9                          # 2 of them predicted
    pred[1, 3, 3, 2] = 0.8                            # one false RV pixel
    scores = standard_volume_scores(masks, pred, ("MYO", "LV", "RV"))
    assert scores == {"MYO": 1.0, "LV": pytest.approx(2 * 2 / 6), "RV": 0.0}


def test_hard_labels_use_the_implicit_background():
    pred = np.array([[[[0.3, 0.2, 0.1]]]])            # background 0.4 wins
    assert hard_labels(pred).sum() == 0
    assert hard_labels(np.array([[[[0.5, 0.2, 0.1]]]]))[..., 0].item() == 1


def test_summary_and_paired_ttest():
    rows = [{"original": {"Dice": v}} for v in (0.5, 0.7)]
    assert summarise(rows)["Dice"] == (pytest.approx(0.6), pytest.approx(0.1))
    a, b = np.array([0.8, 0.82, 0.79, 0.85, 0.81]), np.array([0.7, 0.75, 0.72, 0.74, 0.70])
    from scipy import stats
    assert paired_ttest(a, b) == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert np.isnan(paired_ttest(a, a))
