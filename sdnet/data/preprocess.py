"""Preprocessing of the original loaders: resampling, intensity clipping and scaling, crop/pad,
and label maps to binary channels."""
import math

import numpy as np

from sdnet.data.errors import DataError


def resample_slices(volume, zooms, spacing_mm, order):
    """Rescale every 2-D slice (axes 0, 1) of a 3-D or 4-D array to `spacing_mm` pixels.

    As the original's skimage `transform.rescale`: linear (order 1) for images, nearest
    (order 0) for masks, constant border, range preserved, no anti-aliasing.
    Returns an array (H', W', *rest).
    """
    from skimage.transform import rescale

    scale = (zooms[0] / spacing_mm, zooms[1] / spacing_mm)
    rest = volume.shape[2:]
    flat = volume.reshape(volume.shape[:2] + (-1,))
    out = [rescale(flat[..., i], scale, order=order, preserve_range=True, mode="constant",
                   anti_aliasing=False) for i in range(flat.shape[-1])]
    return np.stack(out, axis=-1).reshape(out[0].shape + rest)


def clip_and_scale(volume, source="volume", low=5.0, high=95.0):
    """Clip to the [5th, 95th] percentile of the whole array, then scale linearly to [-1, 1]."""
    lo, hi = np.percentile(volume, [low, high])
    if hi <= lo:
        raise DataError(f"{source}: intensities are constant between the {low:g}th and {high:g}th "
                        f"percentile ({lo:g}); cannot scale to [-1, 1]")
    volume = np.clip(volume, lo, hi)
    return 2.0 * (volume - lo) / (hi - lo) - 1.0


def crop_or_pad(array, size, axes=(1, 2)):
    """Centre-crop or edge-pad `axes` to `size` (crop keeps ceil(diff/2) off the left,
    padding puts diff//2 on the left), as the original's crop_same."""
    for axis in axes:
        n = array.shape[axis]
        if n > size:
            left = int(math.ceil((n - size) / 2))
            array = np.take(array, range(left, left + size), axis=axis)
        elif n < size:
            left = (size - n) // 2
            pad = [(0, 0)] * array.ndim
            pad[axis] = (left, size - n - left)
            array = np.pad(array, pad, mode="edge")
    return array


def labels_to_channels(label_map, label_values, source="mask"):
    """Integer label map -> binary channels, one per entry of `label_values` (in that order).

    Values not in `label_values` must be 0 (background); anything else is an error, since
    it means the label map was not what the loader expects.
    """
    label_map = np.rint(label_map).astype(np.int64)
    known = np.isin(label_map, list(label_values) + [0])
    if not known.all():
        unknown = sorted(set(np.unique(label_map[~known]).tolist()))[:10]
        raise DataError(f"{source}: label values {unknown} are not in the expected set "
                        f"{sorted(set(label_values) | {0})}")
    return np.stack([label_map == v for v in label_values], axis=-1).astype(np.uint8)
