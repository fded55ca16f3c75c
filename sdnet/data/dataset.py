"""The `Data` container of the original loaders (loaders/data.py), with the same operations.

`index` holds the subject of every image (as the original: sampling "volumes" by a labelled
fraction samples subjects); `volume` names the 3-D frame an image comes from
(e.g. patient016_frame01), the unit of evaluation; `scanner` is the modality tag.
"""
from __future__ import annotations

import numpy as np

from sdnet.data.errors import DataError
from sdnet.data.preprocess import crop_or_pad


class Data:
    def __init__(self, images, masks, index, scanner=None, volume=None):
        images = np.asarray(images, dtype=np.float32)
        masks = np.asarray(masks, dtype=np.float32)
        index = np.asarray(index)
        if images.ndim != 4 or images.shape[-1] != 1:
            raise DataError(f"images must have shape (N, H, W, 1), got {images.shape}")
        if masks.shape[:-1] != images.shape[:-1]:
            raise DataError(f"image shape {images.shape} and mask shape {masks.shape} differ")
        if index.shape != (len(images),):
            raise DataError(f"{len(images)} images but {index.shape} index entries")
        self.images, self.masks, self.index = images, masks, index
        self.scanner = np.asarray(["MR"] * len(images) if scanner is None else scanner)
        self.volume = np.asarray(index.astype(str) if volume is None else volume)

    # -- the original's API ---------------------------------------------------------------------
    def size(self):
        return len(self.images)

    def __len__(self):
        return self.size()

    def volumes(self):
        return sorted(set(self.index.tolist()))

    @property
    def num_volumes(self):
        return len(self.volumes())

    def copy(self):
        return Data(self.images.copy(), self.masks.copy(), self.index.copy(), self.scanner.copy(),
                    self.volume.copy())

    def _take(self, keep):
        return Data(self.images[keep], self.masks[keep], self.index[keep], self.scanner[keep],
                    self.volume[keep])

    def get_images(self, vol):
        return self.images[self.index == vol]

    def get_masks(self, vol):
        return self.masks[self.index == vol]

    def select_volumes(self, volumes) -> "Data":
        """The images of these subjects, in the order given (the original's split selection)."""
        order = np.concatenate([np.flatnonzero(self.index == v) for v in volumes]) if len(volumes) else []
        return self._take(np.asarray(order, dtype=int))

    def sample(self, num, seed=-1) -> "Data":
        """`num` subjects drawn without replacement: np.random.seed(seed); np.random.choice(...),
        so that the labelled subsets are those of the authors' code."""
        if num > self.num_volumes:
            raise DataError(f"cannot sample {num} volumes out of {self.num_volumes}")
        if num == self.num_volumes:
            return self.copy()
        rng = np.random.RandomState(seed) if seed > -1 else np.random
        chosen = rng.choice(self.volumes(), size=num, replace=False)
        return self.select_volumes(chosen)

    def sample_per_volume(self, num, seed=-1) -> "Data":
        """At most `num` images of every subject, drawn without replacement."""
        rng = np.random.RandomState(seed) if seed > -1 else np.random
        keep = []
        for vol in self.volumes():
            idx = np.flatnonzero(self.index == vol)
            keep.append(idx[rng.choice(len(idx), size=min(num, len(idx)), replace=False)])
        return self._take(np.concatenate(keep) if keep else np.array([], dtype=int))

    def sample_images(self, num, seed=-1) -> "Data":
        rng = np.random.RandomState(seed) if seed > -1 else np.random
        return self._take(rng.choice(self.size(), size=num, replace=False))

    def filter_by_scanner(self, scanner) -> "Data":
        if scanner not in set(self.scanner.tolist()):
            raise DataError(f"no images of modality {scanner!r}; present: {sorted(set(self.scanner.tolist()))}")
        return self._take(self.scanner == scanner)

    def merge(self, other: "Data") -> "Data":
        if self.images.shape[1:] != other.images.shape[1:] or self.masks.shape[1:] != other.masks.shape[1:]:
            raise DataError(f"cannot merge data of shapes {self.images.shape}/{self.masks.shape} and "
                            f"{other.images.shape}/{other.masks.shape}")
        return Data(np.concatenate([self.images, other.images]), np.concatenate([self.masks, other.masks]),
                    np.concatenate([self.index, other.index]), np.concatenate([self.scanner, other.scanner]),
                    np.concatenate([self.volume, other.volume]))

    def select_masks(self, num_masks) -> "Data":
        return Data(self.images, self.masks[..., :num_masks], self.index, self.scanner, self.volume)

    def crop(self, size) -> "Data":
        """Centre-crop or edge-pad images and masks to size x size."""
        return Data(crop_or_pad(self.images, size), crop_or_pad(self.masks, size), self.index,
                    self.scanner, self.volume)

    def hide_masks(self) -> "Data":
        """The same images with an all-zero single mask channel (as the original's unlabelled Data)."""
        return Data(self.images, np.zeros(self.images.shape, np.float32), self.index, self.scanner,
                    self.volume)

    def by_volume(self):
        """(volume name, images, masks) per 3-D frame, in order of first appearance."""
        names = list(dict.fromkeys(self.volume.tolist()))
        for name in names:
            keep = self.volume == name
            yield name, self.images[keep], self.masks[keep]

    def require_nonempty(self, what):
        if self.size() == 0:
            raise DataError(f"{what}: no images left after selection")
        return self
