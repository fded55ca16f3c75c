"""Segmentation scores: the original protocol, the standard 3-D Dice, and the paired t-test.

The original (base_executor.test_modality) groups the test images by patient (the ED and ES
frames of a subject form one "volume") and scores each by the mean over its slices of
(2 sum(y p) + 0.1) / (sum(y) + sum(p) + 0.1) pooled over the L channels of the *soft*
prediction (a slice where both are empty scores 1): the headline "avg" of the paper's tables.
Each structure is scored the same way on the rounded prediction. Mean and standard deviation
are taken over patients. "mean" is the mean of the structures' scores, shown apart.

The standard protocol scores each 3-D frame by the hard Dice of every structure (argmax over
the L masks and the implicit background); its "mean" is the mean over structures.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

SMOOTH = 0.1


def slice_dice(y_true, y_pred, smooth=SMOOTH):
    """Per-slice Dice of (N, H, W, C) arrays, pooled over H, W and C."""
    axes = tuple(range(1, y_true.ndim))
    inter = np.sum(y_true * y_pred, axis=axes)
    return (2 * inter + smooth) / (np.sum(y_true, axis=axes) + np.sum(y_pred, axis=axes) + smooth)


def original_volume_scores(masks, prediction, structures):
    """{<structure>: rounded, 'avg': soft pooled over the structures, 'mean': mean of the
    structures' scores} for one patient's slices (original protocol)."""
    prediction = prediction[..., : masks.shape[-1]]
    scores = {name: float(np.mean(slice_dice(masks[..., c:c + 1], np.round(prediction[..., c:c + 1]))))
              for c, name in enumerate(structures)}
    return {**scores, "avg": float(np.mean(slice_dice(masks, prediction))),
            "mean": float(np.mean([scores[name] for name in structures]))}


def hard_labels(prediction):
    """One-hot of argmax over [p_1..p_L, background = 1 - sum p] (the dropped softmax channel)."""
    background = 1.0 - prediction.sum(-1, keepdims=True)
    winner = np.argmax(np.concatenate([prediction, background], -1), -1)
    return np.stack([winner == c for c in range(prediction.shape[-1])], -1).astype(np.float32)


def standard_volume_scores(masks, prediction, structures):
    """Hard 3-D Dice per structure, 2|Y n P| / (|Y| + |P|), 1 where both are empty."""
    hard = hard_labels(prediction[..., : masks.shape[-1]])
    scores = {}
    for c, name in enumerate(structures):
        y, p = masks[..., c] > 0.5, hard[..., c] > 0.5
        total = y.sum() + p.sum()
        scores[name] = 1.0 if total == 0 else float(2 * np.logical_and(y, p).sum() / total)
    return {**scores, "mean": float(np.mean(list(scores.values())))}


def evaluate(model, data, structures, batch_size=16):
    """Test scores of both protocols: {"original": [{"volume": subject, "scores": {...}}] per
    patient, "standard": [{"volume": frame, "scores": {...}}] per 3-D frame}."""
    frames = []
    for name, images, masks in data.by_frame():
        frames.append((name, data.subject[data.frame == name][0], masks, model.segment(images, batch_size)))
    standard = [{"volume": name, "scores": standard_volume_scores(masks, prediction, structures)}
                for name, _, masks, prediction in frames]
    original = []
    for subject in dict.fromkeys(s for _, s, _, _ in frames):
        mine = [f for f in frames if f[1] == subject]
        masks, prediction = (np.concatenate([f[k] for f in mine]) for k in (2, 3))
        original.append({"volume": str(subject), "scores": original_volume_scores(masks, prediction, structures)})
    return {"original": original, "standard": standard}


def summarise(rows):
    """{score name: (mean, std)} over the rows of one protocol."""
    keys = rows[0]["scores"].keys()
    return {k: (float(np.mean([r["scores"][k] for r in rows])), float(np.std([r["scores"][k] for r in rows])))
            for k in keys}


def validation_dice(model, data, batch_size=32, predicted=None):
    """The original validation score: soft pooled Dice averaged over all validation images.
    `predicted`: the model's masks of `data.images`, where the caller has them already."""
    predicted = model.segment(data.images, batch_size) if predicted is None else predicted
    return float(np.mean(slice_dice(data.masks, predicted[..., : data.masks.shape[-1]])))


def per_patient_pairs(a: dict, b: dict):
    """Two methods' scores {(split, seed, volume): score} -> (volumes, A's and B's mean per
    volume): only the (split, seed) runs both have are used, then each test patient's scores are
    averaged over them, so that the patient, not patient x seed, is the unit of a paired test
    (seeds share the patient: their scores are not independent)."""
    keys = sorted(set(a) & set(b))
    volumes = sorted({k[-1] for k in keys})
    mean_a = np.array([np.mean([a[k] for k in keys if k[-1] == v]) for v in volumes])
    mean_b = np.array([np.mean([b[k] for k in keys if k[-1] == v]) for v in volumes])
    return volumes, mean_a, mean_b


def per_set_pairs(a: dict, b: dict):
    """Two methods' scores {(split, seed, volume): score} -> (sets, A's and B's mean per labelled
    set): one (split, seed) run is one set (the seed draws the labelled subjects), its mean taken
    over the test volumes both scored, so that the set is the unit of a paired test."""
    keys = set(a) & set(b)
    sets = sorted({k[:2] for k in keys})
    mean_a = np.array([np.mean([a[k] for k in keys if k[:2] == s]) for s in sets])
    mean_b = np.array([np.mean([b[k] for k in keys if k[:2] == s]) for s in sets])
    return sets, mean_a, mean_b


def paired_ttest(scores_a, scores_b):
    """Two-sided paired t-test over the same test volumes; returns the p-value (nan if undefined)."""
    a, b = np.asarray(scores_a, float), np.asarray(scores_b, float)
    if len(a) != len(b):
        raise ValueError(f"paired t-test needs equal lengths, got {len(a)} and {len(b)}")
    if len(a) < 2 or np.allclose(a - b, (a - b)[0]):
        return float("nan")
    return float(stats.ttest_rel(a, b).pvalue)


def paired_difference(scores_a, scores_b, confidence=0.95):
    """The mean of the paired differences a - b and its t interval (scipy.stats, n - 1 degrees of
    freedom): (mean, low, high), the bounds nan under two pairs or where every difference is equal."""
    a, b = np.asarray(scores_a, float), np.asarray(scores_b, float)
    if len(a) != len(b):
        raise ValueError(f"paired difference needs equal lengths, got {len(a)} and {len(b)}")
    mean = float(np.mean(a - b)) if len(a) else float("nan")
    if len(a) < 2 or np.allclose(a - b, (a - b)[0]):
        return mean, float("nan"), float("nan")
    low, high = stats.ttest_rel(a, b).confidence_interval(confidence)
    return mean, float(low), float(high)
