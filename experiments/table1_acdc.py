"""Table 1: ACDC semi-supervised segmentation, 4 methods x 7 labelled fractions x 3 folds.

    python experiments/table1_acdc.py --preset quick                      # phantom, minutes on a CPU
    python experiments/table1_acdc.py --data /path/to/ACDC/training --preset paper   # on a GPU
"""
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.reporting.published import TABLE1

TABLE1_ACDC = Experiment(
    name="table1_acdc",
    title="Table 1 — ACDC semi-supervised segmentation (Dice %)",
    dataset=ACDC,
    published=TABLE1,
    methods=("unet", "gan", "selftrain", "sdnet"),
    fractions=TABLE1.fractions,
    quick_fractions=(1.0, 0.06),
)

if __name__ == "__main__":
    sys.exit(main(TABLE1_ACDC))
