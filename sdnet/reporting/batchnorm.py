"""Validation Dice of a run's saved weights with batch norm in inference mode (the moving
statistics: what validation, the test scores and D_M's default fakes use) and in training mode
(each batch's own statistics, what the updates see). A large gap says that the moving
statistics do not describe the images the model is applied to. Runs logged since this column
existed have it per epoch (`val_dice_training_bn`); this reads it off older runs' weights.

    python -m sdnet.reporting.batchnorm RUN_FOLDER [RUN_FOLDER ...] --weights best

The validation images come from the data folder the run recorded (or --data), read as an ACDC
folder or a folder of NIfTI pairs with the run's label codes.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def batchnorm_modes(folder, weights="best", data=None) -> dict:
    """{"inference": Dice, "training": Dice, "area_ratio_<S>": [inference, training], and with a
    mask discriminator "D_real", "D_inference", "D_training": its mean score of the true masks
    and of each mode's predictions} on the run's validation split; training mode uses batches
    of the run's batch size."""
    from sdnet.data.acdc import open_cardiac_folder
    from sdnet.evaluation import slice_dice
    from sdnet.inference import load_model

    model = load_model(folder, weights)
    pre = model.dataset["preprocessing"]
    phase = model.dataset.get("phase", "all")
    loader = open_cardiac_folder(data or model.dataset["root"], int(pre["image_size"]), float(pre["pixel_mm"]),
                                 structures={s: model.label_codes[s] for s in model.structures})
    validation = loader.keep_phase(None if phase == "all" else phase).load_labelled_data(model.spec["split"], "validation")
    size = model.config.batch_size
    inference = model.segment(validation.images)
    training = model.method.training_mode_masks(validation.images, size)
    out = {}
    L = validation.masks.shape[-1]
    for mode, masks in (("inference", inference), ("training", training)):
        out[mode] = float(np.mean(slice_dice(validation.masks, masks[..., :L])))
    discriminator = getattr(model.method, "discriminator", None)
    if discriminator is not None:     # D_M's mean score (LSGAN: real 1, fake 0) of each kind of mask
        from sdnet.methods.base import predict

        for name, masks in (("real", validation.masks), ("inference", inference[..., :L]), ("training", training[..., :L])):
            out[f"D_{name}"] = float(np.mean(predict(discriminator, masks, size)))
    for c, name in enumerate(model.structures):
        truth = max(float(validation.masks[..., c].sum()), 1.0)
        out[f"area_ratio_{name}"] = [float(np.round(m[..., c]).sum()) / truth for m in (inference, training)]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run folders (with best/ or last/ weights)")
    p.add_argument("--weights", choices=["best", "last"], default="best")
    p.add_argument("--data", help="the data folder, if not where the run recorded it")
    args = p.parse_args(argv)
    print("| run | weights | val Dice, inference-mode BN | val Dice, training-mode BN | area ratios (inference / training) "
          "| D_M on true / inference-mode / training-mode masks |")
    print("|---|---|---|---|---|---|")
    for folder in args.runs:
        r = batchnorm_modes(folder, args.weights, args.data)
        ratios = ", ".join(f"{k[len('area_ratio_'):]} {v[0]:.2f} / {v[1]:.2f}" for k, v in r.items() if k.startswith("area"))
        scores = " / ".join(f"{r[k]:.2f}" for k in ("D_real", "D_inference", "D_training") if k in r) or "–"
        print(f"| {folder} | {args.weights} | {r['inference']:.3f} | {r['training']:.3f} | {ratios} | {scores} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
