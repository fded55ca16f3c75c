"""Rotation augmentation as Keras 2.1.6's ImageDataGenerator(rotation_range=90) did it.

theta ~ U(-90, 90) degrees, rotation about the point (H/2 + 0.5, W/2 + 0.5), scipy
`affine_transform` with bilinear interpolation and 'nearest' fill. The original ran masks
through a second generator with the same seed, so masks were rotated bilinearly too (soft
edges); `mask_order=0` gives the nearest-neighbour variant.
"""
import numpy as np
from scipy import ndimage


def rotation_matrix(theta_deg, height, width):
    """Keras 2 transform_matrix_offset_center(rotation) as (2x2 matrix, offset) for scipy."""
    theta = np.deg2rad(theta_deg)
    rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    ox, oy = height / 2 + 0.5, width / 2 + 0.5
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    reset = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    m = offset @ rot @ reset
    return m[:2, :2], m[:2, 2]


def rotate(array, theta_deg, order=1):
    """Rotate an (H, W, C) array by theta degrees, channel by channel."""
    matrix, offset = rotation_matrix(theta_deg, array.shape[0], array.shape[1])
    out = np.empty_like(array)
    for c in range(array.shape[-1]):
        out[..., c] = ndimage.affine_transform(array[..., c], matrix, offset, order=order,
                                               mode="nearest", cval=0.0)
    return out


class Rotation:
    """Draws one angle per sample and applies it to every array of that sample."""

    def __init__(self, rotation_range=90.0, orders=(1, 1)):
        self.rotation_range = float(rotation_range)
        self.orders = orders

    def __call__(self, samples, rng):
        """samples: a tuple of arrays (B, H, W, C) sharing B; returns them rotated."""
        if self.rotation_range == 0:
            return samples
        angles = rng.uniform(-self.rotation_range, self.rotation_range, size=len(samples[0]))
        return tuple(np.stack([rotate(a[i], angles[i], order) for i in range(len(a))])
                     for a, order in zip(samples, self.orders))
