"""The data of one semi-supervised run, assembled as the original SDNet executor did."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Optional

from sdnet.data.dataset import Data

log = logging.getLogger(__name__)

FULL_LABELS_NOTE = ("all training subjects are labelled and there are no 4-D files: the unlabelled "
                    "pool is every training image with its mask hidden")


@dataclass
class TrainingData:
    labelled: Optional[Data]             # the labelled fraction of the training subjects
    unlabelled: Optional[Data]           # images whose masks are not used
    discriminator_masks: Data            # real masks: every labelled training volume
    discriminator_images: Optional[Data]  # images whose predicted masks are the "fake" ones
    validation: Data
    test: Data
    notes: list = field(default_factory=list)


def data_seed(fraction, split, seed):
    """The original ran 1.5% labels on split 1 with seed 10 instead of 1."""
    return 10 if (seed == 1 and split == 1 and math.isclose(fraction, 0.015)) else seed


def cap_images(data: Data, max_images, seed) -> Data:
    """At most `max_images`, taken evenly per volume (original: ceil(max / volumes) per volume)."""
    if data.size() <= max_images:
        return data
    return data.sample_per_volume(int(math.ceil(max_images / data.num_volumes)), seed=seed)


def load_training_data(loader, split, fraction, seed=1, max_unlabelled=1200, use_unlabelled=True) -> TrainingData:
    if not 0 < fraction <= 1:
        raise ValueError(f"labelled fraction {fraction} is outside (0, 1]")
    seed = data_seed(fraction, split, seed)
    training = loader.load_labelled_data(split, "training")
    labelled = training.sample(int(fraction * training.num_volumes), seed=seed)
    if labelled.size() == 0:
        raise ValueError(f"fraction {fraction} of {training.num_volumes} training subjects selects none")
    notes = []
    unlabelled = discriminator_images = None
    if use_unlabelled:
        unlabelled = loader.load_unlabelled_data(split, "training", exclude_volumes=labelled.volumes())
        if unlabelled.size() == 0:
            unlabelled = training.hide_masks()
            notes.append(FULL_LABELS_NOTE)
        unlabelled = cap_images(unlabelled, max_unlabelled, seed)
        discriminator_images = cap_images(loader.load_all_data(split, "training"), max_unlabelled, seed)
    notes = list(getattr(loader, "notes", [])) + notes
    for note in notes:
        log.warning(note)
    return TrainingData(labelled=labelled, unlabelled=unlabelled, discriminator_masks=training,
                        discriminator_images=discriminator_images,
                        validation=loader.load_labelled_data(split, "validation"),
                        test=loader.load_labelled_data(split, "test"), notes=notes)
