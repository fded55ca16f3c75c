"""ACDC loader, as the original loaders/acdc.py.

Reads the official layout `patientNNN/patientNNN_frameXX.nii.gz` + `_gt.nii.gz` (labelled ED/ES
frames), optionally `patientNNN_4d.nii.gz` (all phases: the unlabelled images). Every slice is
resampled to square pixels of `spacing_mm` (1.37 mm in the paper), each 3-D frame is clipped to
its 5th-95th percentile and scaled to [-1, 1], slices are centre-cropped or edge-padded to
`image_size`, and masks become channels [MYO, LV, RV] from ACDC labels 2, 3, 1 (or any
subset: `structures={"MYO": 2, "LV": 3}` reads the RV as background).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re

import numpy as np

from sdnet.config import PAPER_IMAGE_SIZE, PAPER_SPACING_MM
from sdnet.data.base import DataSource, Loader
from sdnet.data.cache import cache_key, default_cache_dir, load_cached, save_cached
from sdnet.data.dataset import Data
from sdnet.data.errors import DataError
from sdnet.data.nifti import load_nifti
from sdnet.data.preprocess import (clip_and_scale, compact_labels, crop_or_pad, labels_to_channels, preprocess_pair,
                                   resample_slices)
from sdnet.data.workers import map_in_workers

log = logging.getLogger(__name__)

ACDC_STRUCTURES = {"MYO": 2, "LV": 3, "RV": 1}   # channel order of the paper, official label values
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
    # Split 3: the patient lists of the SSL4MIS benchmark (HiLab-git/SSL4MIS, data/ACDC/*.list), in
    # their order, which is what its "first k labelled patients" means (`labelled_choice=first`):
    # 70 training, 10 validation, 20 test patients (docs/results/literature_acdc.md).
    {"validation": [28, 85, 82, 87, 19, 30, 78, 45, 2, 39],
     "test": [11, 13, 84, 33, 93, 22, 68, 24, 83, 81, 80, 1, 7, 66, 8, 65, 75, 64, 59, 52],
     "training": [99, 38, 50, 100, 58, 21, 49, 20, 72, 40, 60, 89, 4, 56, 98, 96, 31, 18, 94, 47, 48, 55, 97,
                  74, 43, 41, 63, 37, 95, 54, 26, 88, 32, 69, 6, 71, 12, 73, 61, 17, 25, 10, 57, 29, 51, 5,
                  36, 46, 62, 34, 76, 92, 70, 77, 67, 3, 91, 16, 14, 44, 42, 90, 53, 27, 35, 86, 23, 9,
                  79, 15]},
]


def _preprocess_frame(image_path, mask_path, spacing_mm, image_size, known_labels):
    """One labelled 3-D frame -> (images (Z, S, S, 1) float32, label map (Z, S, S), slice mm)."""
    images, labels, zooms = preprocess_pair(image_path, mask_path, spacing_mm, image_size, known_labels)
    return images, labels, zooms[2] if len(zooms) > 2 else float("nan")


def _preprocess_cine(path, spacing_mm, image_size):
    """A 4-D cine series -> (frames (T, Z, S, S, 1) float32), scaled over the whole series."""
    series, zooms = load_nifti(path, "4-D cine series")
    if series.ndim != 4:
        raise DataError(f"{path}: expected a 4-D series (H, W, slices, phases), got shape {series.shape}")
    series = clip_and_scale(resample_slices(series, zooms, spacing_mm, order=1), source=path)
    series = np.moveaxis(series, (3, 2), (0, 1))[..., None]     # (T, Z, H, W, 1)
    return crop_or_pad(series, image_size, axes=(2, 3)).astype(np.float32)


class ACDCLoader(Loader):
    """`ACDCLoader(root)`: the official ACDC training layout, labelled ED/ES frames and, where
    present, the 4-D cine series whose other phases are the unlabelled images."""

    name = "ACDC"
    modalities = ("MR",)

    def __init__(self, root, image_size=PAPER_IMAGE_SIZE, spacing_mm=PAPER_SPACING_MM, cache_dir=None,
                 workers=None, structures=None):
        """`structures`: {name: label value} in channel order. Default: ACDC's MYO, LV, RV, and any
        other value in a mask is an error; with a map of the user's, values it does not name are
        background (another label set in the ACDC folder layout)."""
        if not os.path.isdir(root):
            raise DataError(f"{root}: ACDC folder not found (expected the official layout "
                            "patientNNN/patientNNN_frameXX.nii.gz)")
        super().__init__(root, image_size, spacing_mm)
        self.known_labels = tuple(ACDC_STRUCTURES.values()) if structures is None else None
        structures = dict(structures or ACDC_STRUCTURES)
        self.structures, self.label_codes = tuple(structures), tuple(int(v) for v in structures.values())
        self.cache_dir = cache_dir or default_cache_dir()
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.patients = self._scan()

    def splits(self):
        return SPLITS

    def subjects_present(self):
        return [p for p, info in self.patients.items() if info["frames"]]

    def describe_subject(self, subject):
        return f"patient{subject:03d}/"

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
        return all(p["cine"] for p in self.patients.values() if p["frames"])

    def _params(self):
        return {"spacing_mm": self.spacing_mm, "image_size": self.image_size, "clip": [5, 95], "version": 5,
                "strict_labels": self.known_labels is not None}

    # -- preprocessing with cache ----------------------------------------------------------------
    def _labelled_arrays(self):
        """Preprocessed labelled frames (label maps with the files' own values), cached, read once."""
        if getattr(self, "_labelled", None) is None:
            self._labelled = self._build_labelled_arrays()
            self.check_codes_present(self._labelled["label_values"])
        return self._labelled

    def _build_labelled_arrays(self):
        frames = [(p, f, img, gt) for p, info in sorted(self.patients.items()) for f, img, gt in info["frames"]]
        key = cache_key(self._params(), [x for _, _, img, gt in frames for x in (img, gt)])
        path = os.path.join(self.cache_dir, f"acdc-labelled-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            log.info("preprocessing %d ACDC frames from %s (cached in %s)", len(frames), self.root, path)
            results = map_in_workers(_preprocess_frame, [(img, gt, self.spacing_mm, self.image_size, self.known_labels)
                                                         for _, _, img, gt in frames],
                                     self.workers, "preprocessing ACDC frames")
            names = [f"patient{p:03d}_frame{f:02d}" for p, f, _, _ in frames]
            arrays = {"images": np.concatenate([r[0] for r in results]),
                      "labels": compact_labels(np.concatenate([r[1] for r in results])),
                      "label_values": np.unique(np.concatenate([np.unique(r[1]) for r in results])),
                      "subject": np.concatenate([[p] * len(r[0]) for (p, _, _, _), r in zip(frames, results)]),
                      "frame": np.concatenate([[n] * len(r[0]) for n, r in zip(names, results)]),
                      "frame_names": np.array(names), "thickness": np.array([r[2] for r in results])}
            save_cached(path, arrays)
        return arrays

    def _frames_of(self, subjects):
        a = self._labelled_arrays()
        # select first, then convert: the whole set as float32 masks would be 1.1 GB per call
        order = np.concatenate([np.flatnonzero(a["subject"] == s) for s in subjects]) if len(subjects) else []
        order = np.asarray(order, dtype=int)
        masks = labels_to_channels(a["labels"][order], self.label_codes)
        return Data(a["images"][order], masks, a["subject"][order], a["frame"][order])

    def slice_thickness(self, frame):
        a = self._labelled_arrays()
        match = np.flatnonzero(a["frame_names"] == frame)
        if not len(match):
            raise DataError(f"{self.root}: no labelled frame named {frame}")
        return float(a["thickness"][match[0]])

    def _cine_arrays(self):
        """All phases of every 4-D series, with a flag for the phases that are labelled frames."""
        patients = sorted(self.subjects_present())
        key = cache_key(self._params(), [self.patients[p]["cine"] for p in patients])
        path = os.path.join(self.cache_dir, f"acdc-cine-{key}.npz")
        arrays = load_cached(path)
        if arrays is None:
            series = map_in_workers(_preprocess_cine, [(self.patients[p]["cine"], self.spacing_mm, self.image_size)
                                                       for p in patients], self.workers,
                                    "preprocessing ACDC cine series")
            images, subject, frame, labelled = [], [], [], []
            for p, phases in zip(patients, series):
                labelled_phases = {f - 1 for f, _, _ in self.patients[p]["frames"]}   # names count from 1
                for t, phase in enumerate(phases):
                    if np.ptp(phase) == 0:       # blank phase, as the original skipped
                        continue
                    images.append(phase)
                    subject += [p] * len(phase)
                    frame += [f"patient{p:03d}_phase{t + 1:02d}"] * len(phase)
                    labelled += [t in labelled_phases] * len(phase)
            arrays = {"images": np.concatenate(images), "subject": np.array(subject), "frame": np.array(frame),
                      "labelled": np.array(labelled)}
            save_cached(path, arrays)
        return arrays

    def _cine_data(self, subjects, include_labelled):
        a = self._cine_arrays()
        keep = np.ones(len(a["subject"]), bool) if include_labelled else ~a["labelled"]
        data = Data(a["images"][keep], np.zeros(a["images"][keep].shape, np.float32), a["subject"][keep],
                    a["frame"][keep])
        return data.select_subjects(subjects)

    # -- unlabelled images -------------------------------------------------------------------------
    def load_unlabelled_data(self, split, split_type, exclude_subjects=()) -> Data:
        """The non-ED/ES phases of the 4-D series (of every subject, as the original); without
        4-D files, the ED/ES images of the split's subjects outside `exclude_subjects`."""
        if self.has_cine:
            return self._cine_data(self.split_subjects(split, split_type), include_labelled=False)
        self.note(NO_4D_NOTE)
        return super().load_unlabelled_data(split, split_type, exclude_subjects)

    def load_all_data(self, split, split_type) -> Data:
        """Every image of the split's subjects (all phases when 4-D files exist), masks hidden."""
        if self.has_cine:
            return self._cine_data(self.split_subjects(split, split_type), include_labelled=True)
        self.note(NO_4D_NOTE)
        return super().load_all_data(split, split_type)


def open_cardiac_folder(root, image_size=PAPER_IMAGE_SIZE, spacing_mm=PAPER_SPACING_MM, cache_dir=None,
                        structures=None, mask_suffix=None):
    """The ACDC layout (patientNNN/ folders) or another folder of NIfTI pairs (`pairs.LAYOUTS`;
    subjects from the names: <subject>_frameXX, <subject>_ED ...), with ACDC's label values unless
    `structures` gives others."""
    from sdnet.data.pairs import NiftiPairsLoader

    if not os.path.isdir(root):
        raise DataError(f"{root}: folder not found")
    if any(PATIENT_DIR.match(name) for name in os.listdir(root)) and mask_suffix in (None, "_gt"):
        return ACDCLoader(root, image_size, spacing_mm, cache_dir, structures=structures)
    return NiftiPairsLoader(root, structures or ACDC_STRUCTURES, mask_suffix=mask_suffix, image_size=image_size,
                            spacing_mm=spacing_mm, cache_dir=cache_dir, heart_slices_only=False)


def open_recorded_dataset(dataset: dict, root=None, cache_dir=None):
    """The data set a run recorded (run.json's "dataset": its folder, preprocessing, label codes
    and cardiac phase), opened as `open_cardiac_folder` opened it; `root` where it has moved."""
    pre, phase = dataset["preprocessing"], dataset.get("phase", "all")
    loader = open_cardiac_folder(root or dataset["root"], int(pre["image_size"]), float(pre["pixel_mm"]),
                                 cache_dir=cache_dir,
                                 structures={s: dataset["label_codes"][s] for s in dataset["structures"]})
    return loader.keep_phase(None if phase == "all" else phase)


def _phantom(cache_dir=None):
    from sdnet.data.phantom import default_phantom_root, ensure_phantom

    return ensure_phantom(default_phantom_root(cache_dir))


ACDC = DataSource(name="ACDC", expects="the ACDC training folder (patientNNN/patientNNN_frameXX.nii.gz with _gt masks; "
                                    "patientNNN_4d.nii.gz optional), or a folder of <name>.nii.gz images with "
                                    "<name>_gt.nii.gz (or _seg, _mask, _label, _manual) label maps, or images/ and "
                                    "labels/ folders", open=open_cardiac_folder, phantom=_phantom)
# Table 2 and Section 5.2 (the paper's QMRI is private): LV and MYO only, the RV counted as
# background, ED frames only.
ACDC_LV_MYO_ED = dataclasses.replace(ACDC, name="LV + MYO, ED frames", structures=(("MYO", 2), ("LV", 3)), phase="ED")
