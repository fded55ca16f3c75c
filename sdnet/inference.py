"""A trained run, back from its folder: `load_run(folder)` rebuilds the method from run.json and
loads its weights, without the training data."""
from __future__ import annotations

import os
from dataclasses import dataclass

from sdnet.config import SDNetConfig
from sdnet.io import read_json


@dataclass
class TrainedRun:
    method: object           # a sdnet.methods.Method with its trained weights
    config: SDNetConfig
    dataset: dict            # structures, label codes, modalities, preprocessing
    spec: dict
    weights: str             # "last" or "best"

    @property
    def structures(self):
        return tuple(self.dataset["structures"])

    def segment(self, images, batch_size=32):
        """Soft masks (N, H, W, L) of preprocessed images (N, H, W, 1) in [-1, 1]."""
        return self.method.segment(images, batch_size)


def load_run(folder, weights="last") -> TrainedRun:
    from sdnet.methods import build_method

    described = os.path.join(folder, "run.json")
    if not os.path.exists(described):
        raise ValueError(f"{folder}: no run.json (not a run folder, or written by a version before 0.2)")
    description = read_json(described)
    try:
        cfg = SDNetConfig.from_dict(description["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{described}: configuration not readable by this version ({err})") from None
    weights_dir = os.path.join(folder, weights)
    if not os.path.isdir(weights_dir):
        raise ValueError(f"{folder}: no {weights}/ weights (is the run finished?)")
    method = build_method(description["spec"]["method"], cfg)
    method.load_weights(weights_dir)
    return TrainedRun(method, cfg, description["dataset"], description["spec"], weights)
