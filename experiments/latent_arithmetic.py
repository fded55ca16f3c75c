"""Section 5.5, Figs 7 and 8: latent-space arithmetic on the SDNet trained with 100 % of the
labels (Table 1's model): anatomy channels moved, swapped and permuted with z fixed; each z
dimension swept over [-3, 3] with correlation and difference images. The figures and their
numbers are in the report.

    python experiments/latent_arithmetic.py --preset quick            # phantom, minutes on a CPU
    python experiments/latent_arithmetic.py --data /path/to/ACDC/training --runs results/table1_acdc_paper
        # reuse Table 1's trained model (same configuration) instead of training it again
"""
import os
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main


def analyse(plan, folders):
    from sdnet.inference import load_model
    from sdnet.reporting.latent_figures import latent_arithmetic_report

    (spec, folder), = folders.items()
    model = load_model(folder, plan.cfg.test_weights)
    test = plan.loader.load_labelled_data(spec.split, "test")
    return [f"Model: `{os.path.abspath(folder)}` ({plan.cfg.test_weights} weights); images: split {spec.split} "
            f"test set, {test.size()} images.", "",
            *latent_arithmetic_report(model.method, test, plan.loader.structures, plan.out, seed=spec.seed)]


LATENT_ARITHMETIC = Experiment(
    name="latent_arithmetic",
    title="Latent arithmetic (Section 5.5): SDNet at 100 % labels (Dice %)",
    dataset=ACDC,
    methods=("sdnet",),
    fractions=(1.0,),
    splits=(0,),
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(LATENT_ARITHMETIC))
