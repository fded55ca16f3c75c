"""ACDC loader, as the original loaders/acdc.py.

Reads the official layout `patientNNN/patientNNN_frameXX.nii.gz` + `_gt.nii.gz` (labelled ED/ES
frames), optionally `patientNNN_4d.nii.gz` (all phases: the unlabelled images). Every slice is
resampled to square pixels of `spacing_mm` (1.37 mm in the paper), each 3-D frame is clipped to
its 5th-95th percentile and scaled to [-1, 1], slices are centre-cropped or edge-padded to
`image_size`, and masks become channels [MYO, LV, RV] from ACDC labels 2, 3, 1.
"""
from __future__ import annotations

import logging
import os
import re
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sdnet.config import PAPER_IMAGE_SIZE, PAPER_SPACING_MM
from sdnet.data.cache import cache_key, default_cache_dir, load_cached, save_cached
from sdnet.data.dataset import Data
from sdnet.data.errors import DataError
from sdnet.data.nifti import load_nifti
from sdnet.data.preprocess import (channels_to_labels, clip_and_scale, crop_or_pad, labels_to_float_channels,
                                   preprocess_pair, resample_slices)

log = logging.getLogger(__name__)

ACDC_LABELS = (2, 3, 1)              # MYO, LV, RV in the official label map
STRUCTURES = ("MYO", "LV", "RV")
PATIENT_DIR = re.compile(r"^patient(\d{3})$")
FRAME_FILE = re.compile(r"^patient(\d{3})_frame(\d{2})\.nii(\.gz)?$")
NO_4D_NOTE = ("no 4-D cine files: the unlabelled pool is the ED/ES images (masks hidden) of "
              "training subjects outside the labelled subset, not the intermediate phases of the paper")

# The three cross-validation splits of the original code (patients by number).
SPLITS = [
    {"validation": list(range(1, 16)), "test": list(range(16, 31)), "training": list(range(31, 101))},
    {"validation": [85, 13, 9, 74, 73, 68, 59, 79, 47, 80, 14, 95, 25, 92, 87],
     "test": [54, 55, 99, 63, 91, 24, 51, 3, 64, 43, 61, 66, 96, 27, 76],
     "training": [46, 57, 49, 34, 17, 8, 19, 28, 97, 1, 90, 22, 88, 45, 12, 4, 5, 75, 53, 94, 62, 86,
                  35, 58, 82, 37, 84, 93, 6, 33, 15, 81, 23, 48, 71, 70, 11, 77, 36, 60, 31, 65, 32,
                  78, 98, 52, 100, 42, 38, 2, 20, 69, 26, 18, 40, 50, 16, 7, 41, 10, 83, 21, 39, 72,
                  56, 67, 44, 30, 89, 29]},
    {"validation": list(range(47, 62)), "test": list(range(64, 79)),
     "training": list(range(30, 47)) + [100] + list(range(1, 15)) + [62, 63] + list(range(15, 30))
     + list(range(79, 100))},
]
SPLIT_TYPES = ("training", "validation", "test", "all")


def _preprocess_frame(image_path, mask_path, spacing_mm, image_size):
    """One labelled 3-D frame -> (images (Z, S, S, 1) float32, masks (Z, S, S, 3) uint8)."""
    return preprocess_pair(image_path, mask_path, spacing_mm, image_size, ACDC_LABELS)[:2]


def _preprocess_cine(path, spacing_mm, image_size):
    """A 4-D cine series -> (frames (T, Z, S, S, 1) float32), scaled over the whole series."""
    series, zooms = load_nifti(path, "4-D cine series")
    if series.ndim != 4:
        raise DataError(f"{path}: expected a 4-D series (H, W, slices, phases), got shape {series.shape}")
    series = clip_and_scale(resample_slices(series, zooms, spacing_mm, order=1), source=path)
    series = np.moveaxis(series, (3, 2), (0, 1))[..., None]     # (T, Z, H, W, 1)
    return crop_or_pad(series, image_size, axes=(2, 3)).astype(np.float32)


class ACDCLoader:
    """`ACDCLoader(root)`; `load_labelled_data(split, split_type)` and friends return `Data`."""

    num_masks = 3
    structures = STRUCTURES
    modality = "MR"

    def __init__(self, root, image_size=PAPER_IMAGE_SIZE, spacing_mm=PAPER_SPACING_MM, cache_dir=None,
                 workers=None):
        if not os.path.isdir(root):
            raise DataError(f"{root}: ACDC folder not found (expected the official layout "
                            "patientNNN/patientNNN_frameXX.nii.gz)")
        self.root = root
        self.image_size, self.spacing_mm = int(image_size), float(spacing_mm)
        self.cache_dir = cache_dir or default_cache_dir()
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.patients = self._scan()
        self.notes: list[str] = []

    def splits(self):
        return SPLITS

    # -- discovery ----------------------------------------------------------------------------
    def _scan(self):
        """{patient number: {"frames": [(frame, image, mask)], "cine": path or None}}."""
        patients = {}
        for name in sorted(os.listdir(self.root)):
            m = PATIENT_DIR.match(name)
            folder = os.path.join(self.root, name)
            if not m or not os.path.isdir(folder):
                continue
            files = set(os.listdir(folder))
            frames = []
            for f in sorted(files):
                fm = FRAME_FILE.match(f)
                if fm:
                    gt = f.replace(".nii", "_gt.nii")
                    if gt not in files:
                        raise DataError(f"{os.path.join(folder, f)}: frame has no mask {gt}")
                    frames.append((int(fm.group(2)), os.path.join(folder, f), os.path.join(folder, gt)))
                elif f.endswith(("_gt.nii.gz", "_gt.nii")) and f.replace("_gt", "") not in files:
                    raise DataError(f"{os.path.join(folder, f)}: mask has no image {f.replace('_gt', '')}")
            cine = [f for f in files if re.match(rf"^{name}_4d\.nii(\.gz)?$", f)]
            patients[int(m.group(1))] = {"frames": frames,
                                         "cine": os.path.join(folder, cine[0]) if cine else None}
        if not patients:
            raise DataError(f"{self.root}: no patientNNN folders found")
        if not any(p["frames"] for p in patients.values()):
            raise DataError(f"{self.root}: no labelled frames (patientNNN_frameXX.nii.gz with _gt) found")
        return patients

    @property
    def has_cine(self):
        return all(p["cine"] for p in self.patients.values())

    def _params(self):
        return {"spacing_mm": self.spacing_mm, "image_size": self.image_size, "clip": [5, 95],
                "version": 2}

    def _split_volumes(self, split, split_type):
        if split not in range(len(SPLITS)):
            raise DataError(f"split {split} does not exist: choose 0, 1 or 2")
        if split_type not in SPLIT_TYPES:
            raise DataError(f"split_type {split_type!r} is not one of {SPLIT_TYPES}")
        if split_type == "all":
            return sorted(self.patients)
        wanted = SPLITS[split][split_type]
        missing = [p for p in wanted if p not in self.patients]
        if missing:
            raise DataError(f"{self.root}: split {split} {split_type} needs patients {missing[:5]}"
                            f"{'...' if len(missing) > 5 else ''} which are not there")
        return wanted

    # -- preprocessing with cache ----------------------------------------------------------------
    def _labelled_arrays(self):
        """Preprocessed labelled frames, read from the cache once per loader."""
        if getattr(self, "_labelled", None) is None:
            self._labelled = self._build_labelled_arrays()
        return self._labelled

    def _build_labelled_arrays(self):
        frames = [(p, f, img, gt) for p, info in sorted(self.patients.items()) for f, img, gt in info["frames"]]
        key = cache_key(self._params(), [x for _, _, img, gt in frames for x in (img, gt)])
        path = os.path.join(self.cache_dir, f"acdc-labelled-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            log.info("preprocessing %d ACDC frames from %s (cached in %s)", len(frames), self.root, path)
            results = self._map(_preprocess_frame, [(img, gt, self.spacing_mm, self.image_size)
                                                    for _, _, img, gt in frames], "preprocessing ACDC frames")
            arrays = {"images": np.concatenate([r[0] for r in results]),
                      # one uint8 label map (channel number + 1) instead of 3 channels: a third the size
                      "labels": channels_to_labels(np.concatenate([r[1] for r in results])),
                      "index": np.concatenate([[p] * len(r[0]) for (p, _, _, _), r in zip(frames, results)]),
                      "volume": np.concatenate([[f"patient{p:03d}_frame{f:02d}"] * len(r[0])
                                                for (p, f, _, _), r in zip(frames, results)])}
            save_cached(path, arrays)
        return arrays

    def _cine_arrays(self):
        """All phases of every 4-D series, with a flag for the phases that are labelled frames."""
        patients = sorted(self.patients)
        key = cache_key(self._params(), [self.patients[p]["cine"] for p in patients])
        path = os.path.join(self.cache_dir, f"acdc-cine-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            series = self._map(_preprocess_cine, [(self.patients[p]["cine"], self.spacing_mm, self.image_size)
                                                  for p in patients], "preprocessing ACDC cine series")
            images, index, volume, labelled = [], [], [], []
            for p, frames in zip(patients, series):
                labelled_phases = {f - 1 for f, _, _ in self.patients[p]["frames"]}   # names count from 1
                for t, frame in enumerate(frames):
                    if np.ptp(frame) == 0:       # blank phase, as the original skipped
                        continue
                    images.append(frame)
                    index += [p] * len(frame)
                    volume += [f"patient{p:03d}_phase{t + 1:02d}"] * len(frame)
                    labelled += [t in labelled_phases] * len(frame)
            arrays = {"images": np.concatenate(images), "index": np.array(index), "volume": np.array(volume),
                      "labelled": np.array(labelled)}
            save_cached(path, arrays)
        return arrays

    def _cine_data(self, volumes, include_labelled):
        a = self._cine_arrays()
        keep = np.ones(len(a["index"]), bool) if include_labelled else ~a["labelled"]
        data = Data(a["images"][keep], np.zeros(a["images"][keep].shape, np.float32), a["index"][keep],
                    None, a["volume"][keep])
        return data.select_volumes(volumes)

    def _map(self, fn, jobs, description):
        from sdnet.progress import progress

        if self.workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(self.workers) as pool:
                return list(progress(pool.map(fn, *zip(*jobs)), total=len(jobs), desc=description))
        return [fn(*job) for job in progress(jobs, desc=description)]

    # -- the original's API ----------------------------------------------------------------------
    def load_labelled_data(self, split, split_type, modality="MR") -> Data:
        volumes = self._split_volumes(split, split_type)
        a = self._labelled_arrays()
        # select first, then convert: the whole set as float32 masks would be 1.1 GB per call
        order = np.concatenate([np.flatnonzero(a["index"] == v) for v in volumes])
        masks = labels_to_float_channels(a["labels"][order], self.num_masks)
        data = Data(a["images"][order], masks, a["index"][order], None, a["volume"][order])
        return data.require_nonempty(f"ACDC split {split} {split_type}")

    def load_unlabelled_data(self, split, split_type, modality="MR", exclude_volumes=()) -> Data:
        """Images without masks: the non-ED/ES phases of the 4-D series; without 4-D files, the
        ED/ES images of the split's subjects outside `exclude_volumes` (the labelled subset)."""
        volumes = self._split_volumes(split, split_type)
        if self.has_cine:
            return self._cine_data(volumes, include_labelled=False)
        self._note(NO_4D_NOTE)
        remaining = [v for v in volumes if v not in set(exclude_volumes)]
        return self.load_labelled_data(split, split_type).select_volumes(remaining).hide_masks()

    def load_all_data(self, split, split_type, modality="MR") -> Data:
        """Every image of the split's subjects (all phases when 4-D files exist), masks hidden."""
        volumes = self._split_volumes(split, split_type)
        if self.has_cine:
            return self._cine_data(volumes, include_labelled=True)
        self._note(NO_4D_NOTE)
        return self.load_labelled_data(split, split_type).hide_masks()

    def _note(self, text):
        if text not in self.notes:
            log.warning(text)
            self.notes.append(text)
