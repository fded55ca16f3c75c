"""Latent-space arithmetic (paper Section 5.5): what each anatomy channel and each z dimension
does to the decoded image.

Fig 7 rearranges the channels of s with z fixed; Fig 8 sweeps one z dimension at a time over
[-3, 3] with s and the other dimensions fixed and summarises each sweep by a per-pixel Pearson
correlation image and a last-minus-first difference image. The functions here are numpy on
arrays the model produced; `sdnet.reporting.figures` draws them.
"""
from __future__ import annotations

import numpy as np

SWEEP_VALUES = np.linspace(-3.0, 3.0, 7)     # 7 steps from -3 to 3 (the prior's 3 standard deviations)


def channel_overlap(anatomy, masks) -> np.ndarray:
    """Dice between every anatomy channel and every structure mask over all images, (C, L)."""
    s = anatomy.reshape(-1, anatomy.shape[-1]).astype(np.float64)
    m = masks.reshape(-1, masks.shape[-1]).astype(np.float64)
    intersection = s.T @ m
    return 2 * intersection / (s.sum(0)[:, None] + m.sum(0)[None, :] + 1e-7)


def structure_channels(anatomy, masks, structures, overlap=None) -> dict:
    """{structure: the anatomy channel that overlaps its mask best}, distinct channels: pairs are
    taken best first, so two structures never share a channel. `overlap`: `channel_overlap`
    of these arrays where the caller has it already."""
    overlap = channel_overlap(anatomy, masks) if overlap is None else overlap
    if overlap.shape[0] < len(structures):
        raise ValueError(f"{overlap.shape[0]} anatomy channels cannot hold {len(structures)} structures")
    chosen = {}
    for flat in np.argsort(overlap, axis=None)[::-1]:
        channel, k = np.unravel_index(flat, overlap.shape)
        if structures[k] not in chosen and channel not in chosen.values():
            chosen[structures[k]] = int(channel)
        if len(chosen) == len(structures):
            break
    return {name: chosen[name] for name in structures}


def rearrangements(anatomy, source: int, target: int, rng) -> dict:
    """Fig 7's edits of s, keyed by caption: the source channel added into the target channel
    and zeroed; the two exchanged; all channels randomly permuted (never the identity)."""
    moved = anatomy.copy()
    moved[..., target] = np.clip(anatomy[..., target] + anatomy[..., source], 0, 1)
    moved[..., source] = 0
    swapped = anatomy.copy()
    swapped[..., [source, target]] = anatomy[..., [target, source]]
    channels = anatomy.shape[-1]
    order = np.arange(channels)
    while channels > 1 and np.array_equal(order, np.arange(channels)):
        order = rng.permutation(channels)
    return {"moved": moved, "swapped": swapped, "permuted": anatomy[..., order], "permutation": order}


def swept_codes(z, values=SWEEP_VALUES) -> np.ndarray:
    """(nz, len(values), nz): row i is z with dimension i replaced by each value in turn (the
    paper's z * v_i + (1 - v_i) * delta_j)."""
    z = np.asarray(z, np.float32).reshape(-1)
    codes = np.repeat(np.repeat(z[None, None], len(z), 0), len(values), 1)
    for i in range(len(z)):
        codes[i, :, i] = values
    return codes


def correlation_image(values, images) -> np.ndarray:
    """Pearson correlation between the swept values and each pixel's intensity, (H, W) in
    [-1, 1]; a pixel that does not change is 0 (no correlation can be measured)."""
    v = np.asarray(values, np.float64) - np.mean(values)
    y = images.reshape(len(values), -1).astype(np.float64)
    y = y - y.mean(0)
    denominator = np.sqrt((v ** 2).sum() * (y ** 2).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(denominator > 1e-12, (v[:, None] * y).sum(0) / denominator, 0.0)
    return np.clip(rho, -1, 1).reshape(images.shape[1:])


def difference_image(images) -> np.ndarray:
    """Last minus first image of a sweep, after rescaling the images from [-1, 1] to [0, 1] (the
    paper's footnote 7), so that it lies in [-1, 1] like the correlation image."""
    return (images[-1].astype(np.float64) - images[0].astype(np.float64)) / 2
