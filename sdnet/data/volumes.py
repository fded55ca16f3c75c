"""Loaders for folders of 3-D image / label-map pairs: MM-WHS (Table 3) and any user data set
of LV + MYO volumes (the paper's QMRI set is private; Table 2 and the LV volume task).

Both preprocess like the ACDC loader (in-plane resampling to `spacing_mm`, 5-95 percentile
clipping and [-1, 1] scaling per volume, centre crop / edge pad to `image_size`) and keep the
voxel size of every volume so left-ventricular volumes can be computed in mL.
"""
from __future__ import annotations

import os
import re

import numpy as np

from sdnet.config import PAPER_IMAGE_SIZE, PAPER_SPACING_MM
from sdnet.data.cache import cache_key, default_cache_dir, load_cached, save_cached
from sdnet.data.dataset import Data
from sdnet.data.errors import DataError
from sdnet.data.preprocess import preprocess_pair


def rotating_splits(subjects, folds=3, fractions=(0.7, 0.15, 0.15)):
    """Deterministic cross-validation folds: fold k rotates the sorted subject list by k/folds."""
    subjects = sorted(subjects)
    n = len(subjects)
    n_train, n_val = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    splits = []
    for k in range(folds):
        shift = (k * n) // folds
        order = subjects[shift:] + subjects[:shift]
        splits.append({"training": order[:n_train], "validation": order[n_train:n_train + n_val],
                       "test": order[n_train + n_val:]})
    return splits


class VolumePairLoader:
    """pairs: [(subject number, modality, image path, mask path)]; masks -> one channel per
    entry of `label_values`, in the order of `structures`."""

    def __init__(self, root, pairs, structures, label_values, image_size=PAPER_IMAGE_SIZE,
                 spacing_mm=PAPER_SPACING_MM, cache_dir=None, heart_slices_only=True, name="volumes",
                 strict_labels=True):
        if not pairs:
            raise DataError(f"{root}: no image/label pairs found")
        self.root, self.pairs, self.name = root, sorted(pairs), name
        self.structures, self.label_values = tuple(structures), tuple(label_values)
        self.num_masks = len(self.structures)
        self.image_size, self.spacing_mm = int(image_size), float(spacing_mm)
        self.cache_dir = cache_dir or default_cache_dir()
        self.heart_slices_only, self.strict_labels = heart_slices_only, strict_labels
        self.modalities = sorted({m for _, m, _, _ in self.pairs})
        self.notes: list[str] = []

    def splits(self):
        """Per modality, the rotating 70/15/15 folds of its subjects (merged over modalities)."""
        merged = [{"training": [], "validation": [], "test": []} for _ in range(3)]
        for modality in self.modalities:
            subjects = [s for s, m, _, _ in self.pairs if m == modality]
            for k, split in enumerate(rotating_splits(subjects)):
                for key, values in split.items():
                    merged[k][key] += values
        return merged

    def _arrays(self):
        params = {"spacing_mm": self.spacing_mm, "image_size": self.image_size, "labels": self.label_values,
                  "heart_slices_only": self.heart_slices_only, "strict": self.strict_labels, "version": 1}
        key = cache_key(params, [p for _, _, img, gt in self.pairs for p in (img, gt)])
        path = os.path.join(self.cache_dir, f"{self.name}-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            from sdnet.progress import progress

            parts = {k: [] for k in ("images", "masks", "index", "volume", "scanner", "thickness")}
            for subject, modality, img, gt in progress(self.pairs, desc=f"preprocessing {self.name}"):
                images, masks, zooms = preprocess_pair(img, gt, self.spacing_mm, self.image_size, self.label_values,
                                                       self.strict_labels)
                if self.heart_slices_only:
                    keep = masks.reshape(len(masks), -1).any(-1)
                    images, masks = images[keep], masks[keep]
                stem = re.sub(r"\.nii(\.gz)?$", "", os.path.basename(img))
                parts["images"].append(images)
                parts["masks"].append(masks)
                parts["index"] += [subject] * len(images)
                parts["volume"] += [stem] * len(images)
                parts["scanner"] += [modality] * len(images)
                parts["thickness"] += [zooms[2] if len(zooms) > 2 else 1.0] * len(images)
            arrays = {k: (np.concatenate(v) if k in ("images", "masks") else np.array(v)) for k, v in parts.items()}
            save_cached(path, arrays)
        return arrays

    def load_labelled_data(self, split, split_type, modality="all") -> Data:
        if split not in range(3):
            raise DataError(f"split {split} does not exist: choose 0, 1 or 2")
        a = self._arrays()
        data = Data(a["images"], a["masks"], a["index"], a["scanner"], a["volume"])
        if split_type != "all":
            if split_type not in ("training", "validation", "test"):
                raise DataError(f"split_type {split_type!r} is not one of training, validation, test, all")
            data = data.select_volumes(self.splits()[split][split_type])
        if modality != "all":
            data = data.filter_by_scanner(modality)
        return data.require_nonempty(f"{self.name} split {split} {split_type} {modality}")

    def load_unlabelled_data(self, split, split_type, modality="all", exclude_volumes=()):
        data = self.load_labelled_data(split, split_type, modality)
        return data.select_volumes([v for v in data.volumes() if v not in set(exclude_volumes)]).hide_masks()

    def load_all_data(self, split, split_type, modality="all"):
        return self.load_labelled_data(split, split_type, modality).hide_masks()

    def slice_thickness(self, volume):
        a = self._arrays()
        return float(a["thickness"][a["volume"] == volume][0])

    def lv_volume_ml(self, volume, lv_masks):
        """Sum over slices of LV pixel count x pixel area x slice thickness, in mL."""
        return float(np.sum(lv_masks) * self.spacing_mm ** 2 * self.slice_thickness(volume) / 1000.0)


MMWHS_FILE = re.compile(r"^(mr|ct)_train_(\d{4})_image\.nii(\.gz)?$")
MMWHS_STRUCTURES = ("MYO", "LA", "LV", "RA", "RV", "AO", "PA")
MMWHS_LABELS = (205, 420, 500, 550, 600, 820, 850)


class MMWHSLoader(VolumePairLoader):
    """MM-WHS 2017 training set: mr_train_10NN_{image,label}.nii.gz and ct_train_... .

    Subject numbers: MR 1001-1020 keep their number, CT subjects get number + 1000 (2001-2020),
    since MR and CT subjects are different people. Only slices showing a labelled structure are
    kept (our reading of Chartsias et al. 2017, which the paper cites for this preprocessing).
    """

    def __init__(self, root, **kwargs):
        if not os.path.isdir(root):
            raise DataError(f"{root}: MM-WHS folder not found (expected mr_train_10NN_image.nii.gz files)")
        pairs = []
        for f in sorted(os.listdir(root)):
            m = MMWHS_FILE.match(f)
            if not m:
                continue
            label = os.path.join(root, f.replace("_image", "_label"))
            if not os.path.exists(label):
                raise DataError(f"{os.path.join(root, f)}: image has no label file {os.path.basename(label)}")
            number = int(m.group(2)) + (1000 if m.group(1) == "ct" else 0)
            pairs.append((number, m.group(1).upper(), os.path.join(root, f), label))
        super().__init__(root, pairs, MMWHS_STRUCTURES, MMWHS_LABELS, name="mmwhs", **kwargs)


class NiftiPairsLoader(VolumePairLoader):
    """Any folder of `<name>.nii.gz` images with `<name><mask_suffix>.nii.gz` label maps, and a
    label map given by the user, e.g. {"MYO": 2, "LV": 3} (the paper's LV + MYO data sets).
    Labels the map does not name count as background (e.g. the RV of ACDC-style files)."""

    def __init__(self, root, label_map: dict, mask_suffix="_gt", modality="MR", **kwargs):
        if not os.path.isdir(root):
            raise DataError(f"{root}: folder not found")
        if not label_map:
            raise DataError("a label map is needed, e.g. MYO=2,LV=3")
        files = sorted(f for f in os.listdir(root) if re.search(r"\.nii(\.gz)?$", f))
        masks = {f for f in files if re.sub(r"\.nii(\.gz)?$", "", f).endswith(mask_suffix)}
        pairs = []
        for number, f in enumerate((f for f in files if f not in masks), start=1):
            mask = re.sub(r"(\.nii(\.gz)?)$", rf"{mask_suffix}\1", f)
            if mask not in masks:
                raise DataError(f"{os.path.join(root, f)}: image has no label map {mask}")
            pairs.append((number, modality, os.path.join(root, f), os.path.join(root, mask)))
        kwargs.setdefault("strict_labels", False)
        super().__init__(root, pairs, tuple(label_map), tuple(label_map.values()), name="niftipairs", **kwargs)


def parse_label_map(text):
    """'MYO=2,LV=3' -> {'MYO': 2, 'LV': 3}."""
    try:
        return {k.strip(): int(v) for k, v in (item.split("=") for item in text.split(",") if item.strip())}
    except ValueError as err:
        raise DataError(f"label map {text!r} is not of the form NAME=VALUE,NAME=VALUE") from err
