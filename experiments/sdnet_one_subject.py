"""SDNet with one labelled subject (Table 1's 1.5 %): the faithful configuration and one change
at a time, to find what makes its segmentation of unseen subjects collapse as it trains (see
docs/results/sdnet_one_subject.md). Compare the runs with
`python -m sdnet.reporting.curves --runs NAME=OUT/runs/sdnet_<variant> ...`.

    # the CPU-scale setting of the investigation (64 px, F = 16, 64-filter segmentor and D_M,
    # every unlabelled image each epoch: 285 steps, ~15 min an epoch on one core)
    python experiments/sdnet_one_subject.py --data /path/to/ACDC/training --preset quick --variants faithful fakes_unsupervised
    # the paper's sizes, on a GPU (JAX: KERAS_BACKEND=jax), every variant, 3 seeds
    python experiments/sdnet_one_subject.py --data /path/to/ACDC/training --preset paper
"""
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.experiments.settings import ONE_SUBJECT_CPU

ONE_SUBJECT_ABLATION = Experiment(
    name="sdnet_one_subject",
    title="SDNet at one labelled subject: ablations (Dice %)",
    dataset=ACDC,
    methods=("sdnet",),
    fractions=(0.015,),
    splits=(0,),
    seeds=(1, 2, 3),
    variants={
        "faithful": {},
        "no_adversarial": {"w_adversarial": 0.0},
        "fakes_unsupervised": {"fake_masks": "unsupervised"},        # D_M's fakes: the unsupervised update's own outputs
        "fakes_training_bn": {"fake_masks": "predicted_training_bn"},  # a separate prediction with batch statistics
        "unlabelled_unrotated": {"augment_unlabelled": False},       # rotate the labelled batches only
        "nearest_masks": {"mask_interpolation": "nearest"},          # real masks rotated without soft edges
        "no_spectral": {"spectral": "none"},
        "disjoint_masks": {"discriminator_masks": "disjoint"},       # real masks of subjects outside the unlabelled pool
        "small_discriminator": {"discriminator_filters": 16},
        "lr3e-5": {"learning_rate": 3e-5},
        "lr3e-4": {"learning_rate": 3e-4},
        "recomputed_bn": {"batchnorm_statistics": "recomputed"},   # validation and test with precise BN
    },
    quick_overrides=ONE_SUBJECT_CPU,
    quick_seeds=(1,),
    quick_variants=("faithful", "fakes_unsupervised"),
)

if __name__ == "__main__":
    sys.exit(main(ONE_SUBJECT_ABLATION))
