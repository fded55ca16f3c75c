"""Figs 3 and 4 of the paper: the anatomy channels of one image with and without rounding, and one
image segmented by SDNet trained with each labelled fraction."""
from __future__ import annotations

import numpy as np

from sdnet.reporting.plots import pyplot, anatomy_rows, overlay

# Fig 4's colours: MYO blue, LV green, RV red; other structures after them
PAPER_COLOURS = {"MYO": (0.2, 0.4, 1.0), "LV": (0.2, 0.8, 0.2), "RV": (0.9, 0.2, 0.2)}
OTHER_COLOURS = [(0.9, 0.8, 0.1), (0.8, 0.2, 0.9), (0.1, 0.9, 0.9), (1.0, 0.5, 0.0)]


def structure_colours(structures) -> list:
    others = iter(OTHER_COLOURS * len(structures))
    return [PAPER_COLOURS.get(name) or next(others) for name in structures]


def fig3(image, models: dict, path) -> dict:
    """A row per model ({"with rounding": method, "without rounding": method}): the image, then
    each anatomy channel of s on [0, 1]. Returns per row the fraction of values of s that are
    neither 0 nor 1 (0 with rounding: the factor is binary)."""
    rows = {name: method.anatomy(image[None])[0] for name, method in models.items()}
    channels = max(s.shape[-1] for s in rows.values())
    anatomy_rows([(name, image, s) for name, s in rows.items()], [f"s{c}" for c in range(channels)], path)
    fractional = {name: float(np.mean((s > 1e-3) & (s < 1 - 1e-3))) for name, s in rows.items()}
    return fractional


def fig4(image, mask, structures, models: dict, path) -> dict:
    """The image's ground truth, then its segmentation by each model ({label: method}, e.g. one
    per labelled fraction). Returns each model's Dice on this image, averaged over structures."""
    from sdnet.evaluation import hard_labels, slice_dice

    plt = pyplot()
    colours = structure_colours(structures)
    panels = [("ground truth", mask)] + [(label, method.segment(image[None])[0]) for label, method in models.items()]
    dice = {label: float(np.mean([slice_dice(mask[None, ..., k], hard_labels(m[None])[..., k])
                                  for k in range(len(structures))])) for label, m in panels[1:]}
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.5), squeeze=False)
    for ax, (label, m) in zip(axes[0], panels):
        ax.imshow(overlay(image, m, colours))
        ax.set_title(label if label == "ground truth" else f"{label}\nDice {100 * dice[label]:.0f}", fontsize=7)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return dice
