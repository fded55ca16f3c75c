"""Preprocessing of the original loaders: resampling, intensity clipping and scaling, crop/pad,
and label maps to binary channels."""
import math
import os

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


def labels_to_channels(label_map, label_values, source="mask", strict=True):
    """Integer label map -> binary channels, one per entry of `label_values` (in that order).

    With `strict`, values not in `label_values` must be 0 (background): anything else means the
    label map is not what the loader expects. Without it, other labels count as background.
    """
    label_map = np.rint(label_map).astype(np.int64)
    known = np.isin(label_map, list(label_values) + [0])
    if strict and not known.all():
        unknown = sorted(set(np.unique(label_map[~known]).tolist()))[:10]
        raise DataError(f"{source}: label values {unknown} are not in the expected set "
                        f"{sorted(set(label_values) | {0})}")
    return np.stack([label_map == v for v in label_values], axis=-1).astype(np.uint8)


def channels_to_labels(masks):
    """Mutually exclusive binary channels (..., L) -> uint8 map of channel number + 1 (0: none)."""
    return (masks * np.arange(1, masks.shape[-1] + 1, dtype=np.uint8)).sum(-1).astype(np.uint8)


def labels_to_float_channels(label_map, count, chunk=128):
    """The inverse of `channels_to_labels`, straight to float32 (what `Data` holds), a chunk of
    slices at a time: a cache reload of all 1,902 ACDC slices writes 1.1 GB, and the
    general `labels_to_channels` (int64 copies, checks) took 5 s of a 2 s budget."""
    values = np.arange(1, count + 1, dtype=label_map.dtype)
    out = np.empty(label_map.shape + (count,), np.float32)
    for start in range(0, len(label_map), chunk):
        np.equal(label_map[start:start + chunk, ..., None], values, out=out[start:start + chunk])
    return out


def preprocess_pair(image_path, mask_path, spacing_mm, image_size, label_values, strict_labels=True):
    """A 3-D image and its label map -> (images (Z, S, S, 1) float32, masks (Z, S, S, L) uint8,
    voxel sizes of the source). Slices along the last axis; the whole volume is clipped and
    scaled together, as the original did per 3-D frame."""
    from sdnet.data.nifti import load_nifti

    image, zooms = load_nifti(image_path, "image")
    mask, _ = load_nifti(mask_path, "mask")
    if image.ndim != 3:
        raise DataError(f"{image_path}: expected a 3-D image (H, W, slices), got shape {image.shape}")
    if mask.shape != image.shape:
        raise DataError(f"{mask_path}: mask shape {mask.shape} differs from image shape {image.shape} "
                        f"of {os.path.basename(image_path)}")
    channels = labels_to_channels(mask, label_values, source=mask_path, strict=strict_labels)
    image = clip_and_scale(resample_slices(image, zooms, spacing_mm, order=1), source=image_path)
    masks = resample_slices(channels.astype(np.float64), zooms, spacing_mm, order=0)
    image = crop_or_pad(np.moveaxis(image, 2, 0)[..., None], image_size)
    masks = crop_or_pad(np.moveaxis(masks, 2, 0), image_size)
    return image.astype(np.float32), np.rint(masks).astype(np.uint8), zooms
