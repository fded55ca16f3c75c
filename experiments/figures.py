"""Figs 3 and 4: the anatomy channels of one test image with rounding and, from an SDNet trained
with `rounding=False`, without (Fig 3); that image segmented by SDNet trained with each labelled
fraction beside the ground truth, MYO / LV / RV in blue / green / red (Fig 4).

    python experiments/figures.py --preset quick                        # phantom, trains what it needs
    python experiments/figures.py --preset quick --runs results/table1_acdc_quick
        # reuse Table 1's SDNet runs (same configuration and data); only the unrounded model is trained
"""
import os
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.reporting.published import TABLE1


def analyse(plan, folders):
    from sdnet.inference import load_model
    from sdnet.reporting.anatomy_figures import fig3, fig4
    from sdnet.reporting.latent_figures import example_images

    weights = plan.cfg.test_weights
    split = min(spec.split for spec in folders)
    test = plan.loader.load_labelled_data(split, "test")
    index = int(example_images(test, 1)[0])
    image, mask = test.images[index], test.masks[index]
    rounded = {spec.fraction: folder for spec, folder in folders.items() if not spec.variant and spec.split == split}
    lines = ["## Figures", "", f"One test image of split {split} (frame {test.frame[index]}, the one with the most "
             f"labelled pixels); {weights} weights of each run.", ""]
    unrounded = [f for spec, f in folders.items() if spec.variant == "no_rounding" and spec.split == split]
    trained = {f: load_model(folder, weights).method for f, folder in rounded.items()}     # each loaded once
    if 1.0 in rounded and unrounded:
        fractional = fig3(image, {"with rounding": trained[1.0],
                                  "without rounding": load_model(unrounded[0], weights).method},
                          os.path.join(plan.out, "fig3_anatomy_channels.png"))
        lines += ["Fig 3, the anatomy channels at 100 % labels; share of the values of s strictly between 0 and 1: "
                  + ", ".join(f"{k} {100 * v:.1f} %" for k, v in fractional.items()) + ".", "",
                  "![Fig 3](fig3_anatomy_channels.png)", ""]
    if rounded:
        models = {f"{100 * f:g} % labels": trained[f] for f in sorted(rounded, reverse=True)}
        dice = fig4(image, mask, plan.loader.structures, models, os.path.join(plan.out, "fig4_segmentations.png"))
        lines += ["Fig 4, the image segmented by SDNet at each labelled fraction (Dice on this image, mean of the "
                  "structures): " + ", ".join(f"{k} {100 * v:.0f}" for k, v in dice.items()) + ".", "",
                  "![Fig 4](fig4_segmentations.png)"]
    return lines


FIGURES = Experiment(
    name="figures",
    title="Figs 3 and 4: SDNet's anatomy channels and its segmentations by labelled fraction (Dice %)",
    dataset=ACDC,
    published=TABLE1,
    methods=("sdnet",),
    fractions=TABLE1.fractions,
    quick_fractions=(1.0, 0.06),
    splits=(0,),
    variants={"": {}, "no_rounding": {"rounding": False}},
    variant_fractions={"no_rounding": (1.0,)},
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(FIGURES))
