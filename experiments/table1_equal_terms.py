"""Table 1 on equal terms: does SDNet beat the baselines when labels are scarce, when every
method gets the same chances? The protocol (docs/results/table1_protocol.md):

- the same batch-norm statistics for every method: recomputed before each validation and test
  from every training image of the run's split, labelled or not (`batchnorm_images=split`); the
  U-Net, which otherwise sees no unlabelled image, also with the statistics of its own labelled
  images (`ownbn` rows, below 100 %: with every label the two are the same images), and both are
  reported;
- the same learning-rate candidates for every method (1e-4, 3e-4, 1e-3), each method's chosen on
  its own validation Dice: every candidate runs on the first seed (the tuning seed), the chosen
  rate alone on the other seeds;
- the same number of labelled updates and validation points: 100 batches an epoch for every
  method, validated after each, the same epochs and early stopping; last and best-validation
  weights both reported;
- SDNet twice: stabilised (D_M's fakes from the unsupervised update, `fake_masks=unsupervised`)
  and faithful (the paper's choices at this size: predicted fakes, moving statistics).

    python experiments/table1_equal_terms.py --data /path/to/ACDC/training --preset cpu --labels 0.015 1 --seeds 1 2 3
    python experiments/table1_equal_terms.py --preset quick        # the phantom: the pipeline in minutes
"""
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.methods.registry import compared_methods
from sdnet.reporting.equal_terms import analyse
from sdnet.reporting.published import TABLE1

RATES = (1e-4, 3e-4, 1e-3)
SETTINGS = {
    # every method (each registry entry marked `compared`): statistics from every training image of
    # the split; SDNet's and the GAN's D_M on the masks of the unsupervised update
    "equal": ({"batchnorm_statistics": "recomputed", "batchnorm_images": "split", "fake_masks": "unsupervised"},
              compared_methods()),
    # SDNet as the paper has it, at this size
    "faithful": ({"batchnorm_statistics": "moving", "fake_masks": "predicted"}, ("sdnet",)),
    # the U-Net's statistics from its own labelled images only (it sees no other)
    "ownbn": ({"batchnorm_statistics": "recomputed", "batchnorm_images": "method"}, ("unet",)),
}
VARIANTS = {f"{name}_lr{rate:g}": {**changes, "learning_rate": rate, "decay": 0.0}
            for name, (changes, _) in SETTINGS.items() for rate in RATES}

TABLE1_EQUAL_TERMS = Experiment(
    name="table1_equal_terms",
    title="Table 1 on equal terms — each method at its own best learning rate (Dice %)",
    dataset=ACDC,
    published=TABLE1,
    methods=compared_methods(),
    fractions=TABLE1.fractions,
    splits=(0,),
    seeds=(1, 2, 3),
    overrides={"batches_per_epoch": 100},
    quick_overrides={"batches_per_epoch": 25},      # the quick preset's own budget: a pipeline check
    variants=VARIANTS,
    variant_methods={f"{name}_lr{rate:g}": methods for name, (_, methods) in SETTINGS.items() for rate in RATES},
    # with every label there is no unlabelled image: the U-Net's own images are the split's
    variant_fractions={f"ownbn_lr{rate:g}": tuple(f for f in TABLE1.fractions if f < 1) for rate in RATES},
    candidates={f"{name}_lr{rate:g}": name for name in SETTINGS for rate in RATES},
    quick_methods=("unet", "sdnet"),
    quick_fractions=(0.06,),
    quick_seeds=(1,),
    quick_variants=("equal_lr0.001", "faithful_lr0.001", "ownbn_lr0.001"),
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(TABLE1_EQUAL_TERMS))
