"""Figs 7 and 8 of the paper from a trained SDNet and test images (Section 5.5), with the numbers
that say what the pictures show: which anatomy channel holds which structure, and how strongly
each z dimension changes the image."""
from __future__ import annotations

import os

import numpy as np

from sdnet.latent import (SWEEP_VALUES, channel_overlap, correlation_image, difference_image, rearrangements,
                          structure_channels, swept_codes)
from sdnet.reporting.plots import pyplot, image_columns


def example_images(data, count=3) -> np.ndarray:
    """Indices of `count` test images, each the one with the most labelled pixels in its part of
    the set (mid-ventricular slices of different subjects, rather than apex or base)."""
    area = data.masks.sum(axis=(1, 2, 3))
    blocks = np.array_split(np.arange(data.size()), min(count, data.size()))
    return np.array([block[np.argmax(area[block])] for block in blocks if len(block)])


def moved_pair(structures) -> tuple:
    """(source, target) structures of Fig 7: MYO into LV as in the paper, else the first two."""
    if "MYO" in structures and "LV" in structures:
        return "MYO", "LV"
    return tuple(structures[:2]) if len(structures) >= 2 else (None, None)


def fig7(method, data, structures, path, rng, count=3) -> dict:
    """Rows: input, reconstruction, source moved into target, the two swapped, a random channel
    permutation (z fixed). Returns the channels found and their overlaps with the masks."""
    anatomy = method.anatomy(data.images)
    overlap = channel_overlap(anatomy, data.masks)
    channels = structure_channels(anatomy, data.masks, structures, overlap)
    source, target = moved_pair(structures)
    pick = example_images(data, count)
    s, z = anatomy[pick], method.posterior_mean(data.images[pick])
    edits = rearrangements(s, channels[source], channels[target], rng) if source else \
        rearrangements(s, 0, 0, rng)
    panels = [("input", data.images[pick]), ("reconstruction", method.decode(s, z))]
    if source:
        panels += [(f"{source} (s{channels[source]}) into {target} (s{channels[target]})",
                    method.decode(edits["moved"], z)),
                   (f"{source} and {target} swapped", method.decode(edits["swapped"], z))]
    panels.append((f"channels permuted {edits['permutation'].tolist()}", method.decode(edits["permuted"], z)))
    image_columns(panels, len(pick), path)
    return {"channels": channels, "overlap": {name: float(overlap[channels[name], k])
                                              for k, name in enumerate(structures)},
            "permutation": edits["permutation"].tolist()}


def fig8(method, data, path, values=SWEEP_VALUES) -> list:
    """A row per z dimension: the image decoded with that dimension at each value (the others
    and s fixed at the input's), then the correlation and difference images. Returns per
    dimension the mean absolute correlation and difference over the image."""
    plt = pyplot()
    index = example_images(data, 1)
    s, z = method.anatomy(data.images[index]), method.posterior_mean(data.images[index])
    codes = swept_codes(z[0], values)
    nz, steps = codes.shape[:2]
    decoded = method.decode(np.repeat(s, nz * steps, 0), codes.reshape(nz * steps, -1))[..., 0]
    decoded = decoded.reshape(nz, steps, *decoded.shape[1:])
    fig, axes = plt.subplots(nz, steps + 2, figsize=(1.4 * (steps + 2), 1.4 * nz), squeeze=False)
    rows = []
    for i in range(nz):
        rho, delta = correlation_image(values, decoded[i]), difference_image(decoded[i])
        rows.append({"dimension": i + 1, "mean_abs_correlation": float(np.abs(rho).mean()),
                     "mean_abs_difference": float(np.abs(delta).mean())})
        for j in range(steps):
            axes[i, j].imshow(decoded[i, j], cmap="gray", vmin=-1, vmax=1)
        axes[i, steps].imshow(rho, cmap="coolwarm", vmin=-1, vmax=1)
        axes[i, steps + 1].imshow(delta, cmap="coolwarm", vmin=-1, vmax=1)
        axes[i, 0].set_ylabel(f"z{i + 1}", fontsize=7)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    for j, value in enumerate(values):
        axes[0, j].set_title(f"{value:+.0f}", fontsize=7)
    axes[0, steps].set_title("correlation", fontsize=7)
    axes[0, steps + 1].set_title("difference", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return rows


def latent_arithmetic_report(method, data, structures, out, seed=1) -> list:
    """Both figures in `out` and the markdown that describes them."""
    rng = np.random.default_rng(seed)
    arrangement = fig7(method, data, structures, os.path.join(out, "fig7_anatomy_arithmetic.png"), rng)
    sweep = fig8(method, data, os.path.join(out, "fig8_z_sweeps.png"))
    lines = ["## Latent arithmetic (Section 5.5)", "",
             "Anatomy channel of each structure (the channel whose Dice with the structure's mask is highest over "
             "the test images; two structures never share one):", "",
             "| structure | channel | Dice of channel and mask |", "|---|---|---|",
             *[f"| {name} | s{c} | {arrangement['overlap'][name]:.2f} |" for name, c in arrangement["channels"].items()],
             "", "![Fig 7](fig7_anatomy_arithmetic.png)", "",
             "z swept over " + ", ".join(f"{v:g}" for v in SWEEP_VALUES) + " one dimension at a time (the others "
             "at the posterior mean of the input); correlation: Pearson between the swept value and each pixel; "
             "difference: last minus first, images rescaled to [0, 1] (paper footnote 7). Mean over the image of "
             "each's absolute value:", "",
             "| z dimension | mean abs correlation | mean abs difference |", "|---|---|---|",
             *[f"| z{r['dimension']} | {r['mean_abs_correlation']:.2f} | {r['mean_abs_difference']:.3f} |"
               for r in sweep],
             "", "![Fig 8](fig8_z_sweeps.png)"]
    return lines
