import numpy as np
import pytest

from sdnet.data import Data
from sdnet.evaluation import (evaluate, hard_labels, original_volume_scores, paired_ttest, slice_dice,
                              standard_volume_scores, summarise)


def test_slice_dice_by_hand():
    y = np.zeros((1, 2, 2, 1))
    y[0, 0, 0] = 1
    p = np.zeros((1, 2, 2, 1))
    p[0, 0, 0], p[0, 1, 1] = 0.5, 1.0
    # (2 * 0.5 + 0.1) / (1 + 1.5 + 0.1)
    assert slice_dice(y, p)[0] == pytest.approx(1.1 / 2.6)
    assert slice_dice(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)))[0] == 1.0  # both empty


def test_original_protocol_avg_is_the_soft_dice_pooled_over_structures_not_their_mean():
    """One slice, MYO and LV: soft pooled Dice by hand against the rounded per-structure scores."""
    masks = np.zeros((1, 2, 2, 2))
    masks[0, 0, 0, 0] = 1                                 # one MYO pixel
    masks[0, 1, :, 1] = 1                                 # two LV pixels
    pred = np.zeros((1, 2, 2, 2))
    pred[0, 0, 0, 0] = 0.6                                # MYO found, soft
    pred[0, 1, 0, 1] = 0.4                                # LV: one pixel at 0.4 (rounds to 0)
    scores = original_volume_scores(masks, pred, ("MYO", "LV"))
    # pooled over both channels: intersection 0.6 + 0.4 = 1.0, |Y| = 3, |P| = 1.0
    assert scores["avg"] == pytest.approx((2 * 1.0 + 0.1) / (3 + 1.0 + 0.1))
    assert scores["MYO"] == pytest.approx((2 * 1 + 0.1) / (1 + 1 + 0.1))      # round(0.6) = 1
    assert scores["LV"] == pytest.approx(0.1 / (2 + 0 + 0.1))                 # round(0.4) = 0
    assert scores["mean"] == pytest.approx((scores["MYO"] + scores["LV"]) / 2)
    assert scores["avg"] != pytest.approx(scores["mean"])


def test_original_protocol_groups_frames_by_patient_and_standard_by_frame():
    class Copy:               # a "model" that predicts the ground truth of subject 1 and nothing for 2
        def segment(self, images, batch_size):
            return np.where(images[..., :1] > 0, 1.0, 0.0) * np.ones((1, 1, 1, 2))

    masks = np.zeros((4, 2, 2, 2))
    masks[:, 0, 0, :] = 1
    images = np.zeros((4, 2, 2, 1))
    images[:2, 0, 0] = 1                                   # subject 1's slices are found
    data = Data(images, masks, [1, 1, 2, 2], frame=["p1_f1", "p1_f2", "p2_f1", "p2_f2"])
    scores = evaluate(Copy(), data, ("MYO", "LV"))
    assert [r["volume"] for r in scores["original"]] == ["1", "2"]
    assert [r["volume"] for r in scores["standard"]] == ["p1_f1", "p1_f2", "p2_f1", "p2_f2"]
    assert scores["original"][0]["scores"]["avg"] == pytest.approx(1.0)
    assert scores["original"][1]["scores"]["avg"] == pytest.approx(0.1 / 2.1)
    assert [r["scores"]["MYO"] for r in scores["standard"]] == [1.0, 1.0, 0.0, 0.0]


def test_standard_protocol_is_hard_3d_dice():
    masks = np.zeros((2, 4, 4, 3))
    masks[0, :2, :2, 1] = 1                           # 4 LV pixels
    pred = np.zeros((2, 4, 4, 3))
    pred[0, :2, :1, 1] = 0.9                          # 2 of them predicted
    pred[1, 3, 3, 2] = 0.8                            # one false RV pixel
    scores = standard_volume_scores(masks, pred, ("MYO", "LV", "RV"))
    assert scores == {"MYO": 1.0, "LV": pytest.approx(2 * 2 / 6), "RV": 0.0, "mean": pytest.approx((1 + 4 / 6) / 3)}


def test_hard_labels_use_the_implicit_background():
    pred = np.array([[[[0.3, 0.2, 0.1]]]])            # background 0.4 wins
    assert hard_labels(pred).sum() == 0
    assert hard_labels(np.array([[[[0.5, 0.2, 0.1]]]]))[..., 0].item() == 1


def test_summary_and_paired_ttest():
    rows = [{"scores": {"avg": v}} for v in (0.5, 0.7)]
    assert summarise(rows)["avg"] == (pytest.approx(0.6), pytest.approx(0.1))
    a, b = np.array([0.8, 0.82, 0.79, 0.85, 0.81]), np.array([0.7, 0.75, 0.72, 0.74, 0.70])
    from scipy import stats
    assert paired_ttest(a, b) == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert np.isnan(paired_ttest(a, a))
