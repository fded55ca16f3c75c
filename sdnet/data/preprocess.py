"""Preprocessing of the original loaders: resampling, intensity clipping and scaling, crop/pad,
and label maps to binary channels; and its inverse, which puts a network's output for the
preprocessed slices back on the grid of the input scan."""
import math
import os
from dataclasses import dataclass

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
    """Centre-crop or edge-pad `axes` to `size`, as the original's crop_same: a crop drops
    ceil(d/2) pixels from each side of an excess d (one pixel too many for an odd d, which is
    then edge-padded back at the end); a pad adds floor(d/2) before and the rest after."""
    for axis in axes:
        n = array.shape[axis]
        if n > size:
            cut = int(math.ceil((n - size) / 2))
            array = np.take(array, range(cut, n - cut), axis=axis)
            n = array.shape[axis]
        if n < size:
            left = (size - n) // 2
            pad = [(0, 0)] * array.ndim
            pad[axis] = (left, size - n - left)
            array = np.pad(array, pad, mode="edge")
    return array


def check_label_values(label_map, known, source="mask"):
    """Every value of an integer label map must be 0 or one of `known`: anything else means the
    label map is not what the loader expects."""
    values = np.unique(np.rint(label_map).astype(np.int64))
    unknown = sorted(set(values.tolist()) - set(known) - {0})
    if unknown:
        raise DataError(f"{source}: label values {unknown[:10]} are not in the expected set "
                        f"{sorted(set(known) | {0})}")


def compact_labels(label_map):
    """A label map in the smallest integer type that holds its values (uint8 for ACDC's)."""
    return label_map.astype(np.min_scalar_type(int(label_map.max(initial=0))) if label_map.min(initial=0) >= 0
                            else np.int32)


def labels_to_channels(label_map, codes, chunk=128):
    """Integer label map (N, ...) -> float32 binary channels (N, ..., L), channel k where the map
    equals codes[k]; other values are background. A chunk of slices at a time: a cache reload of
    all 1,902 ACDC slices writes 1.1 GB, and int64 intermediates would double it."""
    codes = np.asarray(codes, dtype=label_map.dtype)
    out = np.empty(label_map.shape + (len(codes),), np.float32)
    for start in range(0, len(label_map), chunk):
        np.equal(label_map[start:start + chunk, ..., None], codes, out=out[start:start + chunk])
    return out


def preprocess_pair(image_path, mask_path, spacing_mm, image_size, known_labels=None):
    """A 3-D image and its label map -> (images (Z, S, S, 1) float32, label maps (Z, S, S) int32,
    voxel sizes of the source). Slices along the last axis; the whole volume is clipped and
    scaled together, as the original did per 3-D frame. The label map is resampled with nearest
    neighbours, which is what resampling each binary channel with order 0 gives. With
    `known_labels`, any other non-zero value is an error naming the file."""
    from sdnet.data.nifti import load_nifti

    image, zooms = load_nifti(image_path, "image")
    mask, _ = load_nifti(mask_path, "mask")
    if image.ndim != 3:
        raise DataError(f"{image_path}: expected a 3-D image (H, W, slices), got shape {image.shape}")
    if mask.shape != image.shape:
        raise DataError(f"{mask_path}: mask shape {mask.shape} differs from image shape {image.shape} "
                        f"of {os.path.basename(image_path)}")
    if known_labels is not None:
        check_label_values(mask, known_labels, source=mask_path)
    image = clip_and_scale(resample_slices(image, zooms, spacing_mm, order=1), source=image_path)
    labels = resample_slices(np.rint(mask), zooms, spacing_mm, order=0)
    image = crop_or_pad(np.moveaxis(image, 2, 0)[..., None], image_size)
    labels = crop_or_pad(np.moveaxis(labels, 2, 0), image_size)
    return image.astype(np.float32), np.rint(labels).astype(np.int32), zooms


@dataclass(frozen=True)
class SliceGeometry:
    """What `prepare_slices` did to a volume's slices, so `restore_slices` can undo it."""
    source_shape: tuple       # (H, W) of the input slices
    resampled_shape: tuple    # (H', W') after resampling to the model's pixel size
    image_size: int           # after crop / pad


def prepare_slices(volume, zooms, spacing_mm, image_size, source="volume"):
    """A 3-D scan (H, W, slices) -> (images (slices, S, S, 1) float32 as the model was trained on,
    SliceGeometry): resampled in-plane to `spacing_mm`, clipped and scaled to [-1, 1] as a whole,
    centre-cropped or edge-padded to `image_size`."""
    resampled = clip_and_scale(resample_slices(volume, zooms, spacing_mm, order=1), source=source)
    images = crop_or_pad(np.moveaxis(resampled, 2, 0)[..., None], image_size)
    return images.astype(np.float32), SliceGeometry(tuple(volume.shape[:2]), tuple(resampled.shape[:2]), image_size)


def uncrop(array, sizes, axes=(1, 2), fill=0.0):
    """The inverse of `crop_or_pad` back to `sizes` along `axes`: a cropped axis gets its kept
    pixels back in place and `fill` around them (the edge pixel a crop of an odd excess added is
    dropped); a padded axis loses its padding."""
    for axis, n in zip(axes, sizes):
        size = array.shape[axis]
        if n > size:
            cut = int(math.ceil((n - size) / 2))
            kept = np.take(array, range(n - 2 * cut), axis=axis)
            shape = list(array.shape)
            shape[axis] = n
            out = np.full(shape, fill, dtype=array.dtype)
            index = [slice(None)] * array.ndim
            index[axis] = slice(cut, n - cut)
            out[tuple(index)] = kept
            array = out
        elif n < size:
            left = (size - n) // 2
            array = np.take(array, range(left, left + n), axis=axis)
    return array


def restore_slices(array, geometry: SliceGeometry, fill=0.0, order=1):
    """(slices, S, S, C) outputs for prepared slices -> (H, W, slices, C) on the input grid: the
    crop or pad undone (`fill` outside the field of view), then resampled back (linear)."""
    from skimage.transform import resize

    array = uncrop(np.asarray(array, np.float32), geometry.resampled_shape, fill=fill)
    slices, channels = array.shape[0], array.shape[-1]
    out = np.empty(geometry.source_shape + (slices, channels), np.float32)
    for z in range(slices):
        out[:, :, z] = resize(array[z], geometry.source_shape + (channels,), order=order, mode="edge",
                              preserve_range=True, anti_aliasing=False)
    return out
