"""`Data`: the images of a selection, their masks, and where each image comes from.

Per image: `subject` (the person: labelled fractions and splits count subjects), `frame` (the
3-D frame it is a slice of, e.g. patient016_frame01: the unit of evaluation) and `modality`
(the scanner or contrast tag). Plural methods give the distinct values: `subjects()`, `frames()`.
The selection operations are those of the original loaders/data.py, renamed so that subjects
and frames cannot be confused.
"""
from __future__ import annotations

import numpy as np

from sdnet.data.errors import DataError


class Data:
    def __init__(self, images, masks, subject, frame=None, modality=None):
        images = np.asarray(images, dtype=np.float32)
        masks = np.asarray(masks, dtype=np.float32)
        subject = np.asarray(subject)
        if images.ndim != 4 or images.shape[-1] != 1:
            raise DataError(f"images must have shape (N, H, W, 1), got {images.shape}")
        if masks.shape[:-1] != images.shape[:-1]:
            raise DataError(f"image shape {images.shape} and mask shape {masks.shape} differ")
        if subject.shape != (len(images),):
            raise DataError(f"{len(images)} images but {subject.shape} subject entries")
        self.images, self.masks, self.subject = images, masks, subject
        self.frame = np.asarray(subject.astype(str) if frame is None else frame)
        self.modality = np.asarray(["MR"] * len(images) if modality is None else modality)

    def size(self):
        return len(self.images)

    def __len__(self):
        return self.size()

    def subjects(self) -> list:
        return sorted(set(self.subject.tolist()))

    @property
    def num_subjects(self):
        return len(self.subjects())

    def frames(self) -> list:
        """Frame names in order of first appearance."""
        return list(dict.fromkeys(self.frame.tolist()))

    def _take(self, keep):
        return Data(self.images[keep], self.masks[keep], self.subject[keep], self.frame[keep], self.modality[keep])

    def select_images(self, indices) -> "Data":
        """The images at these positions, in this order."""
        return self._take(np.asarray(indices, dtype=int))

    def select_subjects(self, subjects) -> "Data":
        """The images of these subjects, in the order given (the original's split selection)."""
        order = np.concatenate([np.flatnonzero(self.subject == s) for s in subjects]) if len(subjects) else []
        return self._take(np.asarray(order, dtype=int))

    def select_frames(self, frames) -> "Data":
        """The images of these 3-D frames (e.g. the ED frames only), in their present order."""
        return self._take(np.isin(self.frame, list(frames)))

    def frames_by_subject(self) -> dict:
        """{subject: [its frame names]}."""
        out = {}
        for subject, frame in dict.fromkeys(zip(self.subject.tolist(), self.frame.tolist())):
            out.setdefault(subject, []).append(frame)
        return out

    def without_subjects(self, subjects) -> "Data":
        return self.select_subjects([s for s in self.subjects() if s not in set(subjects)])

    def sample_subjects(self, num, seed=-1) -> "Data":
        """`num` subjects drawn without replacement: np.random.seed(seed); np.random.choice(...),
        so that the labelled subsets are those of the authors' code."""
        if num > self.num_subjects:
            raise DataError(f"cannot sample {num} subjects out of {self.num_subjects}")
        if num == self.num_subjects:
            return self._take(np.arange(self.size()))
        rng = np.random.RandomState(seed) if seed > -1 else np.random
        return self.select_subjects(rng.choice(self.subjects(), size=num, replace=False))

    def sample_per_subject(self, num, seed=-1) -> "Data":
        """At most `num` images of every subject, drawn without replacement."""
        rng = np.random.RandomState(seed) if seed > -1 else np.random
        keep = []
        for subject in self.subjects():
            idx = np.flatnonzero(self.subject == subject)
            keep.append(idx[rng.choice(len(idx), size=min(num, len(idx)), replace=False)])
        return self._take(np.concatenate(keep) if keep else np.array([], dtype=int))

    def with_modality(self, modality) -> "Data":
        if modality not in set(self.modality.tolist()):
            raise DataError(f"no images of modality {modality!r}; present: {sorted(set(self.modality.tolist()))}")
        return self._take(self.modality == modality)

    def with_masks(self, masks) -> "Data":
        """The same images with other masks (self-training's pseudo-labels)."""
        return Data(self.images, masks, self.subject, self.frame, self.modality)

    def hide_masks(self) -> "Data":
        """The same images with an all-zero single mask channel (as the original's unlabelled Data)."""
        return self.with_masks(np.zeros(self.images.shape, np.float32))

    def merge(self, other: "Data") -> "Data":
        if self.images.shape[1:] != other.images.shape[1:] or self.masks.shape[1:] != other.masks.shape[1:]:
            raise DataError(f"cannot merge data of shapes {self.images.shape}/{self.masks.shape} and "
                            f"{other.images.shape}/{other.masks.shape}")
        return Data(*(np.concatenate([a, b]) for a, b in (
            (self.images, other.images), (self.masks, other.masks), (self.subject, other.subject),
            (self.frame, other.frame), (self.modality, other.modality))))

    def by_frame(self):
        """(frame name, images, masks) per 3-D frame, in order of first appearance."""
        for name in self.frames():
            keep = self.frame == name
            yield name, self.images[keep], self.masks[keep]

    def require_nonempty(self, what):
        if self.size() == 0:
            raise DataError(f"{what}: no images left after selection")
        return self
