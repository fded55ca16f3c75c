"""The data of one semi-supervised run, assembled as the original SDNet executor did."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from sdnet.data.dataset import Data

log = logging.getLogger(__name__)

FULL_LABELS_NOTE = ("all training subjects are labelled and the data set has no image without a mask: "
                    "the unlabelled pool is every training image with its mask hidden")


@dataclass
class TrainingData:
    labelled: Data                        # the labelled fraction of the training subjects
    unlabelled: Optional[Data]            # images whose masks are not used
    discriminator_masks: Data             # D_M's real masks
    discriminator_images: Optional[Data]  # images whose predicted masks are D_M's fake ones
    validation: Data
    test: Data
    notes: list = field(default_factory=list)
    seed: int = 1                         # of every data-side draw: subsets, caps, streams
    # every training subject with its masks: the per-slice structure areas that Section 5.2's
    # multi-task fine-tuning supervises (no other method reads them)
    training: Optional[Data] = None
    structures: tuple = ()                # the names of the mask channels
    # every training image of the split, labelled or not, masks hidden (capped as the unlabelled
    # pool): what `batchnorm_images="split"` recomputes the statistics from, whatever the method
    all_training_images: Optional[Data] = None


def data_seed(fraction, split, seed):
    """The original ran 1.5% labels on split 1 with seed 10 instead of 1, set after the networks
    were built: every data-side draw of that run used it, the weight initialisation did not."""
    return 10 if (seed == 1 and split == 1 and math.isclose(fraction, 0.015)) else seed


def cap_images(data: Data, max_images, seed) -> Data:
    """At most ceil(max_images / subjects) images of every subject, as the original (1260 for 1200
    over ACDC's 70 training subjects). The original also let a subject with fewer images lower
    the count for every later subject (a bug, not reproduced)."""
    if data.size() <= max_images:
        return data
    return data.sample_per_subject(int(math.ceil(max_images / data.num_subjects)), seed=seed)


def mask_only_subjects(training: Data, labelled: Data, seed) -> list:
    """Half of the unlabelled training subjects, drawn with `seed`: with
    `discriminator_masks="disjoint"` their masks are D_M's real masks and their images are used
    nowhere, so no real mask belongs to an image of the unlabelled pool."""
    others = [s for s in training.subjects() if s not in set(labelled.subjects())]
    chosen = np.random.RandomState(seed).choice(others, size=len(others) // 2, replace=False) if others else []
    return sorted(chosen.tolist() if len(chosen) else [])


def labelled_subset(training: Data, fraction, seed, modality_fractions=None) -> Data:
    """`fraction` of the training subjects (the original's draw), or per modality tag its own
    fraction of that modality's subjects (Table 3's mixtures; at least one subject for a
    fraction above 0)."""
    if not modality_fractions:
        labelled = training.sample_subjects(int(fraction * training.num_subjects), seed=seed)
        if labelled.size() == 0:
            raise ValueError(f"fraction {fraction} of {training.num_subjects} training subjects selects none")
        return labelled
    found = sorted(set(training.modality.tolist()))
    unknown = sorted(set(modality_fractions) - set(found))
    if unknown:
        raise ValueError(f"modality_fractions names {unknown}, which no training image has (modality tags "
                         f"found: {found})")
    parts = []
    for tag, share in modality_fractions.items():
        if share > 0:
            images = training.with_modality(tag)
            parts.append(images.sample_subjects(max(1, int(share * images.num_subjects)), seed=seed))
    labelled = parts[0]
    for part in parts[1:]:
        labelled = labelled.merge(part)
    return labelled


def first_subjects(loader, training: Data, split, fraction) -> Data:
    """`fraction` of the training subjects, the first ones of the split's training list in its
    order (`labelled_choice=first`): the SSL4MIS benchmark's labelled patients."""
    order = loader.split_subjects(split, "training")
    count = int(fraction * len(order))
    if count == 0:
        raise ValueError(f"fraction {fraction} of {len(order)} training subjects selects none")
    return training.select_subjects(order[:count])


def choose_labelled(loader, training: Data, split, fraction, seed, modality_fractions=None,
                    labelled_choice="drawn") -> Data:
    """The labelled subjects of a run (`seed`: its data seed): drawn (`labelled_subset`) or the
    first of the split's list (`first_subjects`)."""
    if labelled_choice not in ("drawn", "first"):
        raise ValueError(f"labelled_choice {labelled_choice!r}: expected drawn or first")
    if labelled_choice == "drawn":
        return labelled_subset(training, fraction, seed, modality_fractions)
    if modality_fractions:
        raise ValueError("labelled_choice=first takes the first subjects of one list; modality_fractions draws "
                         "per modality: use one or the other")
    return first_subjects(loader, training, split, fraction)


def load_training_data(loader, split, fraction, seed=1, max_unlabelled=1200, use_unlabelled=True,
                       discriminator_masks="all", modality_fractions=None, all_images=False,
                       labelled_choice="drawn") -> TrainingData:
    if not 0 < fraction <= 1:
        raise ValueError(f"labelled fraction {fraction} is outside (0, 1]")
    seed = data_seed(fraction, split, seed)
    training = loader.load_labelled_data(split, "training")
    labelled = choose_labelled(loader, training, split, fraction, seed, modality_fractions, labelled_choice)
    notes = []
    unlabelled = discriminator_images = None
    real_masks = training
    if use_unlabelled:
        held_out = mask_only_subjects(training, labelled, seed) if discriminator_masks == "disjoint" else []
        if held_out:
            real_masks = training.select_subjects(labelled.subjects() + held_out)
            notes.append(f"D_M's real masks come from {len(held_out)} + {labelled.num_subjects} (labelled) "
                         "subjects whose images are not in the unlabelled pool")
        unlabelled = loader.load_unlabelled_data(split, "training", exclude_subjects=labelled.subjects() + held_out)
        if unlabelled.size() == 0:
            unlabelled = training.hide_masks()
            notes.append(FULL_LABELS_NOTE)
        unlabelled = cap_images(unlabelled.without_subjects(held_out), max_unlabelled, seed)
        discriminator_images = cap_images(loader.load_all_data(split, "training").without_subjects(held_out),
                                          max_unlabelled, seed)
    notes = list(loader.notes) + notes
    for note in notes:
        log.warning(note)
    return TrainingData(labelled=labelled, unlabelled=unlabelled, discriminator_masks=real_masks,
                        discriminator_images=discriminator_images,
                        validation=loader.load_labelled_data(split, "validation"),
                        test=loader.load_labelled_data(split, "test"), notes=notes, seed=seed,
                        training=training, structures=tuple(loader.structures),
                        all_training_images=cap_images(loader.load_all_data(split, "training"), max_unlabelled, seed)
                        if all_images else None)
