"""Self-training: pseudo-labels from the U-Net's argmax, made once per round and kept."""
import os

import numpy as np

from sdnet.data.dataset import Data
from sdnet.data.training_data import TrainingData
from sdnet.methods.selftrain import SelfTrain


def test_pseudo_labels_are_the_argmax_one_hot_without_background(tiny_cfg, batch):
    model = SelfTrain(tiny_cfg)
    x, _ = batch
    labels = model.pseudo_label(x)
    assert labels.shape == (2, 32, 32, 3) and set(np.unique(labels)) <= {0.0, 1.0}
    assert labels.sum(-1).max() <= 1
    winner = np.argmax(model.unet.predict_on_batch(x), -1)          # channel 3: background
    for c in range(3):
        np.testing.assert_array_equal(labels[..., c] == 1, winner == c)


def test_a_round_merges_pseudo_labels_and_reuses_them_when_resumed(tiny_cfg, batch, tmp_path):
    model = SelfTrain(tiny_cfg.replace(self_train_rounds=2))
    x, m = batch
    labelled = Data(x, m, [1, 1])
    pool = Data(x, np.zeros_like(x), [2, 3])
    data = TrainingData(labelled, pool, labelled, None, labelled, labelled)
    assert model.num_phases() == 3 and model.on_phase_start(0, data, str(tmp_path)) is labelled
    merged = model.on_phase_start(1, data, str(tmp_path))
    assert merged.size() == 4 and merged.subjects() == [1, 2, 3]
    assert os.path.exists(tmp_path / "pseudo_labels_round1.npz")
    model.unet.set_weights([w * 0 for w in model.unet.get_weights()])   # a changed model...
    again = model.on_phase_start(1, data, str(tmp_path))                # ...reuses the saved labels
    np.testing.assert_array_equal(again.masks, merged.masks)
