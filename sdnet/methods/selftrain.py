"""The self-training baseline (Bai et al. 2017, without the CRF): the U-Net, retrained on its own
pseudo-labels of the unlabelled images for `cfg.self_train_rounds` rounds, one phase each."""
from __future__ import annotations

import os

import numpy as np

from sdnet.io import atomic_write
from sdnet.methods.base import predict
from sdnet.methods.unet import UNet


class SelfTrain(UNet):
    name = "selftrain"
    uses_unlabelled_pool = True     # for pseudo-labels; its step reads labelled batches only

    def num_phases(self):
        return 1 + self.cfg.self_train_rounds

    def on_phase_start(self, phase, data, folder):
        """Phase 0: the labelled subset. Phase k: plus pseudo-labels of the unlabelled pool made
        at its start (saved, so a resumed run uses the same ones)."""
        if phase == 0:
            return data.labelled
        path = os.path.join(folder, f"pseudo_labels_round{phase}.npz")
        if os.path.exists(path):
            with np.load(path) as f:
                masks = f["masks"].astype(np.float32)
        else:
            masks = self.pseudo_label(data.unlabelled.images)
            with atomic_write(path, "wb") as f:
                np.savez_compressed(f, masks=masks.astype(np.uint8))
        return data.labelled.merge(data.unlabelled.with_masks(masks))

    def pseudo_label(self, images, batch_size=32):
        """Hard masks: argmax over the L+1 softmax channels, background dropped."""
        probabilities = predict(self.unet, images, batch_size)
        winner = np.argmax(probabilities, -1)
        return np.stack([winner == c for c in range(self.cfg.num_masks)], -1).astype(np.float32)
