"""Validation Dice of a run's saved weights with batch norm in inference mode (the moving
statistics: what validation, the test scores and D_M's default fakes use), in training mode
(each batch's own statistics, what the updates see) and with the statistics recomputed from the
training images (`batchnorm_statistics=recomputed`, sdnet/nn/precise_bn.py). A large gap between
the first and the others says that the moving statistics do not describe the images the model
is applied to. Runs logged since this column existed have the training-mode one per epoch
(`val_dice_training_bn`); this reads all three off saved weights, and with --test the test
scores with the moving and with recomputed statistics.

    python -m sdnet.reporting.batchnorm RUN_FOLDER [RUN_FOLDER ...] --weights last --test

The images come from the data folder the run recorded (or --data), read as an ACDC folder or a
folder of NIfTI pairs with the run's label codes; the statistics are recomputed from the images
`batchnorm_statistics=recomputed` would use (the run's labelled subset and unlabelled pool, drawn
as the run drew them, unaugmented, at most 1,000).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np


def batchnorm_modes(folder, weights="best", data=None, test=False) -> dict:
    """{"inference": Dice, "training": Dice, "recomputed": Dice, "area_ratio_<S>": [inference,
    training], and with a mask discriminator "D_real", "D_inference", "D_training": its mean
    score of the true masks and of each mode's predictions} on the run's validation split;
    training mode uses batches of the run's batch size. `test`: also "test_moving" and
    "test_recomputed", each {"mean": mean of the structures, "avg": pooled soft Dice} in %,
    the original protocol (per patient)."""
    from sdnet.data.acdc import open_recorded_dataset
    from sdnet.evaluation import evaluate, slice_dice, summarise
    from sdnet.inference import load_model
    from sdnet.nn.precise_bn import recalibrate_batchnorm
    from sdnet.training.loop import calibration_images
    from sdnet.training.run import training_data
    from sdnet.training.spec import RunSpec

    model = load_model(folder, weights, allow_unfinished=True)     # screening reads runs in progress
    loader, split = open_recorded_dataset(model.dataset, data), model.spec["split"]
    validation = loader.load_labelled_data(split, "validation")
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

    def test_scores():
        rows = summarise(evaluate(model.method, loader.load_labelled_data(split, "test"), model.structures)["original"])
        return {"mean": 100 * float(np.mean([rows[s][0] for s in model.structures])), "avg": 100 * rows["avg"][0]}

    if test:
        out["test_moving"] = test_scores()
    spec = RunSpec(**model.spec)
    images = calibration_images(training_data(loader, spec, model.config, model.method), model.config.seed)
    method = model.method                                  # as `batchnorm_statistics=recomputed`
    recalibrate_batchnorm(method.mask_network(), images, size, method.training_mode_forward())
    out["recomputed"] = float(np.mean(slice_dice(validation.masks, model.segment(validation.images)[..., :L])))
    if test:
        out["test_recomputed"] = test_scores()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run folders (with best/ or last/ weights)")
    p.add_argument("--weights", choices=["best", "last"], default="best")
    p.add_argument("--data", help="the data folder, if not where the run recorded it")
    p.add_argument("--test", action="store_true", help="also the test scores with moving and recomputed statistics")
    args = p.parse_args(argv)
    test_heads = (" test mean / avg, moving | test mean / avg, recomputed |", "---|---|") if args.test else ("", "")
    print("| run | weights | val Dice, inference-mode BN | val Dice, training-mode BN | val Dice, recomputed BN | "
          f"area ratios (inference / training) | D_M on true / inference-mode / training-mode masks |{test_heads[0]}")
    print(f"|---|---|---|---|---|---|---|{test_heads[1]}")
    for folder in args.runs:
        r = batchnorm_modes(folder, args.weights, args.data, args.test)
        ratios = ", ".join(f"{k[len('area_ratio_'):]} {v[0]:.2f} / {v[1]:.2f}" for k, v in r.items() if k.startswith("area"))
        scores = " / ".join(f"{r[k]:.2f}" for k in ("D_real", "D_inference", "D_training") if k in r) or "–"
        tests = "".join(f" {r[k]['mean']:.1f} / {r[k]['avg']:.1f} |" for k in ("test_moving", "test_recomputed") if k in r)
        print(f"| {folder} | {args.weights} | {r['inference']:.3f} | {r['training']:.3f} | {r['recomputed']:.3f} | "
              f"{ratios} | {scores} |{tests}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
