"""Section 5.6: SDNet at 100 % labels with other factor sizes: anatomy channels C in {4, 8, 16}
and z dimensions nz in {4, 8, 32, 128} (one changed at a time from C = 8, nz = 8). The report
adds, per setting, the anatomy channels that are zero on every test image and the mean
posterior variance of each z dimension (Burgess et al. 2018), beside the paper's numbers.

    python experiments/factor_sizes.py --preset quick                     # phantom: C4, C8, z32
    python experiments/factor_sizes.py --data /path/to/ACDC/training --preset paper
"""
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.reporting.published import FACTOR_SIZES

FACTOR_SIZE_STUDY = Experiment(
    name="factor_sizes",
    title="Section 5.6 — SDNet factor sizes at 100 % labels (Dice %)",
    dataset=ACDC,
    published=FACTOR_SIZES,
    methods=("sdnet",),
    fractions=(1.0,),
    variants={"C4": {"anatomy_channels": 4}, "C8": {}, "C16": {"anatomy_channels": 16},
              "z4": {"num_z": 4}, "z32": {"num_z": 32}, "z128": {"num_z": 128}},
    quick_variants=("C4", "C8", "z32"),
)

if __name__ == "__main__":
    sys.exit(main(FACTOR_SIZE_STUDY))
