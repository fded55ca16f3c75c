"""Section 5.2: SDNet with a second output, the left-ventricular area of each slice regressed
from the anatomy factor s, for the multi-task setting where a few subjects have masks and
every subject has its LV volume.

Phase 0 trains SDNet as usual on the labelled subset (the pre-trained model of the paper: one
labelled subject). Phase 1 fine-tunes the whole model with the same five updates plus a sixth:
anatomy encoder and area regressor on images of every training subject, the target of each
slice its pixel count of `cfg.area_structure`; the volume is then sum of areas x pixel area x
slice thickness. The phase-0 weights are kept in `pretrained/` so that the segmentation
before and after fine-tuning can be compared. `w_area=0` fine-tunes as long without the area
cost: the control that separates the effect of the volume supervision from that of training
longer.
"""
from __future__ import annotations

import os
import shutil

import numpy as np
import keras

from sdnet.config import SDNetConfig
from sdnet.methods.base import SEMI_SUPERVISED, Batch, Stream, compile_trainer, dtype_policy, named, predict
from sdnet.methods.sdnet import SDNet
from sdnet.nn import networks

PRETRAINED = "pretrained"       # the run folder's copy of the weights at the end of phase 0


def _every_training_subject(labelled, data):
    return None if data.training is None else [data.training.images, data.training.masks]


# Images of every training subject with their masks, whose per-slice areas are the targets
AREAS = Stream("areas", ("area_images", "area_masks"), _every_training_subject, masks=("area_masks",), pairs=True)


class SDNetVolume(SDNet):
    name = "sdnet_lvv"
    streams = SEMI_SUPERVISED + (AREAS,)

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.area_regressor = networks.build_area_regressor(cfg)
        self.networks = {**self.networks, "area_regressor": self.area_regressor}
        self.trainers["area"] = self._area_trainer()
        self.phase = 0
        self.area_channel = None

    def _area_trainer(self):
        cfg = self.cfg
        image = keras.Input(cfg.input_shape)
        area = named(self.area_regressor(self.anatomy_encoder(image)), "area")
        trainer = keras.Model(image, area, name="area_trainer")
        pixels = cfg.image_size ** 2        # the count's MAE as a fraction of the image: weights comparable to Dice's
        return compile_trainer(trainer, cfg, "mae", [cfg.w_area / pixels])

    def num_phases(self):
        return 2

    def on_phase_start(self, phase, data, folder):
        """Phase 1 starts from the phase-0 model: kept once (a resumed run finds it complete,
        written to a temporary name first)."""
        self.phase = phase
        self.area_channel = self._channel(data.structures)
        if phase == 1:
            kept = os.path.join(folder, PRETRAINED)
            if not os.path.isdir(kept):
                partial = kept + ".partial"
                shutil.rmtree(partial, ignore_errors=True)
                os.makedirs(partial)
                self.save_weights(partial)
                os.replace(partial, kept)
        return data.labelled

    def _channel(self, structures):
        if self.cfg.area_structure not in structures:
            raise ValueError(f"sdnet_lvv regresses the area of {self.cfg.area_structure!r}, which is not among the "
                             f"data set's structures {list(structures)}; set area_structure")
        return list(structures).index(self.cfg.area_structure)

    def areas(self, masks):
        """Per-slice pixel count of the area structure (soft masks count their fractions)."""
        if isinstance(masks, np.ndarray):       # on the host: the separate calls, diagnostics
            return masks[..., self.area_channel].sum(axis=(1, 2))[:, None].astype("float32")
        return keras.ops.cast(keras.ops.sum(masks[..., self.area_channel], axis=(1, 2))[:, None], "float32")

    def step_signature(self):
        return (self.phase,)

    def train_step(self, batch: Batch, rng: np.random.Generator) -> dict:
        losses = super().train_step(batch, rng)
        if self.phase == 1 and self.cfg.w_area > 0 and batch.area_images is not None:
            losses["area_MAE"] = self._train("area", batch.area_images, self.areas(batch.area_masks))["loss"] \
                * self.cfg.image_size ** 2 / self.cfg.w_area
        return losses

    def predict_areas(self, images, batch_size=32):
        """Regressed pixel count of the area structure, one per image."""
        return predict(self.area_regressor, self.anatomy(images, batch_size), batch_size)[:, 0]

    def diagnostics(self, data, structures, predicted=None) -> dict:
        """Also the regressor's mean absolute error on `data`, in pixels."""
        self.area_channel = self._channel(structures)
        error = np.abs(self.predict_areas(data.images) - self.areas(data.masks)[:, 0])
        return {**super().diagnostics(data, structures, predicted), "val_area_MAE": float(error.mean())}
