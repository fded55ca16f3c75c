"""How hard the supervised Dice loss pushes on each labelled training slice, at a run's saved
weights: the norm of the loss's gradient with respect to the mask network's logits (the signal
every weight's gradient is made from), for slices without any structure and for the others.

It measures a suspected cause of the late collapse of docs/results/cpu_preset_acdc.md: the
original Dice loss (`sdnet.nn.losses.dice_loss`, smoothing 0.1 doubled in the numerator) has a
derivative 0.2 / (P + 0.1)^2 with respect to a slice's total predicted foreground P when the slice
has no structure; whether that reaches the network depends on the softmax, which scales each
pixel's share by its own probability. The gradient is exact (closed form, no backend needed); the
masks are predicted with training-mode batch norm in batches of the run's size, as a step sees
them, on the run's labelled images unaugmented.

    python -m sdnet.reporting.gradients RUN_FOLDER [RUN_FOLDER ...] --weights best
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from sdnet.nn.losses import SMOOTH


def dice_logit_gradient_norms(masks, probabilities, batch_size) -> np.ndarray:
    """Per slice, the L2 norm over pixels and channels of d(Dice loss of its batch)/d(logits).
    `masks`: (N, H, W, L) true structures; `probabilities`: (N, H, W, L+1) softmax outputs, the
    last channel background. The batch loss is 1 - mean over the batch of each slice's Dice, so
    each slice's share carries 1 / batch_size."""
    L = masks.shape[-1]
    y, p = masks.astype(np.float64), probabilities.astype(np.float64)
    fore = p[..., :L]
    intersection = (y * fore).sum(axis=(1, 2, 3))
    union = y.sum(axis=(1, 2, 3)) + fore.sum(axis=(1, 2, 3)) + SMOOTH
    # d(loss)/d(p) on the foreground channels (the background is not in the loss)
    scale = (-2.0 / (batch_size * union))[:, None, None, None]
    ratio = ((intersection + SMOOTH) / union)[:, None, None, None]
    grad_p = np.zeros_like(p)
    grad_p[..., :L] = scale * (y - ratio)
    # through the softmax: dz_k = p_k (g_k - sum_c g_c p_c)
    grad_z = p * (grad_p - (grad_p * p).sum(axis=-1, keepdims=True))
    return np.sqrt((grad_z ** 2).sum(axis=(1, 2, 3)))


def slice_gradients(folder, weights="best", data=None) -> dict:
    """{"empty": norms of the slices with no structure, "structure": of the others,
    "foreground_mass_empty": each empty slice's predicted foreground P} on the run's labelled
    training images (split and subset as the run drew them)."""
    from sdnet.data.acdc import open_cardiac_folder
    from sdnet.inference import load_model
    from sdnet.training.run import training_data
    from sdnet.training.spec import RunSpec

    model = load_model(folder, weights, allow_unfinished=True)
    pre = model.dataset["preprocessing"]
    phase = model.dataset.get("phase", "all")
    loader = open_cardiac_folder(data or model.dataset["root"], int(pre["image_size"]), float(pre["pixel_mm"]),
                                 structures={s: model.label_codes[s] for s in model.structures})
    loader = loader.keep_phase(None if phase == "all" else phase)
    labelled = training_data(loader, RunSpec(**model.spec), model.config, model.method).labelled
    size = model.config.batch_size
    probabilities = model.method.training_mode_masks(labelled.images, size)
    norms = dice_logit_gradient_norms(labelled.masks, probabilities, size)
    empty = labelled.masks.reshape(len(labelled.masks), -1).max(axis=1) == 0
    L = labelled.masks.shape[-1]
    return {"empty": norms[empty], "structure": norms[~empty],
            "foreground_mass_empty": probabilities[empty][..., :L].sum(axis=(1, 2, 3))}


def table(rows: dict) -> str:
    lines = ["| run | slices without / with a structure | gradient norm without: median (max) | "
             "with: median (max) | ratio of medians | slices without above the largest with | "
             "P on slices without: median (min) |",
             "|---|---|---|---|---|---|---|"]
    for name, g in rows.items():
        e, s, mass = g["empty"], g["structure"], g["foreground_mass_empty"]
        if len(e) == 0:
            lines.append(f"| {name} | 0 / {len(s)} | – | {np.median(s):.2e} ({s.max():.2e}) | – | – | – |")
            continue
        lines.append(f"| {name} | {len(e)} / {len(s)} | {np.median(e):.2e} ({e.max():.2e}) | "
                     f"{np.median(s):.2e} ({s.max():.2e}) | {np.median(e) / np.median(s):.2g} | "
                     f"{int((e > s.max()).sum())} | {np.median(mass):.3g} ({mass.min():.3g}) |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sdnet.reporting.gradients", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="run folders (finished, or in progress with --weights best)")
    p.add_argument("--weights", default="best", choices=("best", "last"))
    p.add_argument("--data", help="the data folder, where it has moved since the run")
    args = p.parse_args(argv)
    from sdnet.data import DataError

    try:
        rows = {folder: slice_gradients(folder, args.weights, args.data) for folder in args.folders}
    except (ValueError, DataError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
