"""What every data set offers the experiments: the loader protocol, and the declaration of a
data set (how a folder becomes a loader, and which phantom stands in for it by default).

A loader knows its structures (the mask channels, in order) and their codes in the source label
maps, its modalities, its subject-level cross-validation splits, the voxel size of every frame
(so structure volumes in mL are possible on every data set) and its preprocessing. Subclasses
implement `splits`, `_frames_of` (the preprocessed labelled images of some subjects) and
`slice_thickness`; unlabelled images default to labelled ones with their masks hidden.
"""
from __future__ import annotations

import abc
import inspect
import logging
import os
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from sdnet.data.dataset import Data
from sdnet.data.errors import DataError

log = logging.getLogger(__name__)

SPLIT_TYPES = ("training", "validation", "test", "all")
CLIP_PERCENTILES = (5.0, 95.0)


class Loader(abc.ABC):
    name = "data set"
    structures: tuple = ()       # mask channel order, e.g. ("MYO", "LV", "RV")
    label_codes: tuple = ()      # the value of each structure in the source label maps
    modalities: tuple = ("MR",)

    def __init__(self, root, image_size, spacing_mm):
        self.root = root
        self.image_size, self.spacing_mm = int(image_size), float(spacing_mm)
        self.notes: list[str] = []
        self.phase: Optional[str] = None      # "ED" or "ES": only that cardiac phase's frames

    def keep_phase(self, phase):
        """From now on, only each subject's end-diastolic ("ED") or end-systolic ("ES") frame
        (Table 2's data set has ED frames only); None keeps every frame."""
        from sdnet.cardiac import PHASES

        if phase is not None and phase not in PHASES:
            raise DataError(f"cardiac phase {phase!r} is not one of {PHASES}")
        self.phase = phase
        return self

    @property
    def num_masks(self) -> int:
        return len(self.structures)

    # -- what subclasses provide ----------------------------------------------------------------
    @abc.abstractmethod
    def splits(self) -> list[dict]:
        """Per cross-validation split: {"training" | "validation" | "test": [subject ids]}."""

    @abc.abstractmethod
    def subjects_present(self) -> list:
        """Subjects that have at least one labelled frame."""

    @abc.abstractmethod
    def _frames_of(self, subjects) -> Data:
        """The preprocessed labelled images of these subjects, in this order."""

    @abc.abstractmethod
    def slice_thickness(self, frame) -> float:
        """Slice thickness in mm of a frame (from its header)."""

    def read(self):
        """Read (preprocess and cache) every labelled frame now, so that a data file's problem
        is reported before a run writes anything."""
        self._frames_of([])
        return self

    def describe_subject(self, subject) -> str:
        """How a subject is named on disk, for error messages."""
        return f"subject {subject}"

    # -- the protocol ----------------------------------------------------------------------------
    def split_subjects(self, split, split_type) -> list:
        splits = self.splits()
        if split not in range(len(splits)):
            raise DataError(f"split {split} does not exist: choose one of {list(range(len(splits)))}")
        if split_type not in SPLIT_TYPES:
            raise DataError(f"split_type {split_type!r} is not one of {SPLIT_TYPES}")
        if split_type == "all":
            return sorted(self.subjects_present())
        wanted = list(splits[split][split_type])
        present = set(self.subjects_present())
        missing = [s for s in wanted if s not in present]
        if missing:
            names = ", ".join(self.describe_subject(s) for s in missing[:5])
            raise DataError(f"{self.root}: split {split} {split_type} needs {names}"
                            f"{' and more' if len(missing) > 5 else ''}, which is missing or has no "
                            "labelled frame")
        return wanted

    def load_labelled_data(self, split, split_type) -> Data:
        data = self._frames_of(self.split_subjects(split, split_type))
        if self.phase is not None:
            from sdnet.cardiac import frames_of_phase

            try:
                data = data.select_frames(frames_of_phase(data.frames_by_subject(), self.phase))
            except ValueError as err:
                raise DataError(f"{self.root}: {err}") from None
        return data.require_nonempty(f"{self.name} split {split} {split_type}")

    def load_unlabelled_data(self, split, split_type, exclude_subjects=()) -> Data:
        """Images whose masks are not used. Without images that have no mask at all, these are
        the labelled images of the split's subjects outside `exclude_subjects`, masks hidden."""
        return self.load_labelled_data(split, split_type).without_subjects(exclude_subjects).hide_masks()

    def load_all_data(self, split, split_type) -> Data:
        """Every image of the split's subjects, masks hidden (the images of D_M's fake masks)."""
        return self.load_labelled_data(split, split_type).hide_masks()

    def voxel_size(self, frame) -> tuple:
        """(row mm, column mm, slice mm) of a preprocessed frame: in-plane pixels are resampled."""
        return self.spacing_mm, self.spacing_mm, self.slice_thickness(frame)

    def volume_ml(self, frame, mask) -> float:
        """Sum over slices of pixel count x pixel area x slice thickness, in mL, of a binary
        (slices, H, W) mask of one frame."""
        rows, cols, thickness = self.voxel_size(frame)
        return float(np.sum(mask) * rows * cols * thickness / 1000.0)

    def preprocessing(self) -> dict:
        return {"pixel_mm": self.spacing_mm, "image_size": self.image_size,
                "clip_percentiles": list(CLIP_PERCENTILES), "intensity_range": [-1.0, 1.0],
                "slices": "2-D slices along the third image axis, resampled in-plane, centre-cropped "
                          "or edge-padded"}

    def describe(self) -> dict:
        """What a run folder records about its data (enough to preprocess new scans alike)."""
        return {"name": self.name, "root": resolved_root(self.root), "structures": list(self.structures),
                "label_codes": dict(zip(self.structures, (int(c) for c in self.label_codes))),
                "modalities": list(self.modalities), "preprocessing": self.preprocessing(),
                "phase": self.phase or "all", "notes": list(self.notes)}

    def check_codes_present(self, values_found):
        """Every structure's label code must occur in some mask: a label map naming a value no
        file has is a mistake (a wrong --labels), not an empty structure."""
        absent = {name: code for name, code in zip(self.structures, self.label_codes) if code not in set(values_found)}
        if absent:
            raise DataError(f"{self.root}: no mask has the label value(s) {absent} (values found: "
                            f"{sorted(int(v) for v in values_found)}); check the label map")

    def note(self, text):
        """A fact about the data that every result built on it must carry (logged once)."""
        if text not in self.notes:
            log.warning(text)
            self.notes.append(text)


@dataclass(frozen=True)
class DataSource:
    """A data set as an experiment declares it: `open(root, image_size, spacing_mm, cache_dir)`
    gives its loader for a folder; `phantom(cache_dir)` writes (once) the synthetic stand-in
    used when no --data is given and returns its folder."""
    name: str
    expects: str                                   # what --data must hold, for help and errors
    open: Callable[..., Loader]
    phantom: Optional[Callable[[Optional[str]], str]] = None
    structures: Optional[tuple] = None             # ((name, label value), ...) unless the user gives a label map
    phase: Optional[str] = None                    # "ED" / "ES": one frame per subject

    def load(self, root, image_size, spacing_mm, cache_dir=None, structures=None, mask_suffix=None) -> Loader:
        """The loader of `root` with this data set's structures (or the user's `structures`,
        {name: label value}) and cardiac phase; `mask_suffix` for folders of NIfTI pairs."""
        chosen = structures or (dict(self.structures) if self.structures else None)
        if mask_suffix and "mask_suffix" not in inspect.signature(self.open).parameters:
            raise DataError(f"--mask-suffix: {self.name} folders name their label maps their own way")
        loader = self.open(root, image_size=image_size, spacing_mm=spacing_mm, cache_dir=cache_dir,
                           **({"structures": chosen} if chosen else {}),
                           **({"mask_suffix": mask_suffix} if mask_suffix else {}))
        return loader.keep_phase(self.phase)


def resolved_root(root):
    """A data folder (or {modality tag: folder}) as an absolute path with links resolved: the
    same data reached from another working directory or through a link is the same data."""
    if isinstance(root, dict):
        return {tag: resolved_root(folder) for tag, folder in root.items()}
    return os.path.realpath(str(root))
