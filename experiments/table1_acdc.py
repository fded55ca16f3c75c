"""Table 1: ACDC semi-supervised segmentation, 4 methods x 7 labelled fractions x 3 folds.

    python experiments/table1_acdc.py --preset quick                      # phantom, minutes on a CPU
    python experiments/table1_acdc.py --data /path/to/ACDC/training --preset paper   # on a GPU
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sdnet.experiment import Experiment, main  # noqa: E402
from sdnet.published import FRACTIONS, METHODS  # noqa: E402

TABLE1 = Experiment(
    name="table1_acdc",
    title="Table 1 — ACDC semi-supervised segmentation (Dice %)",
    methods=METHODS,
    fractions=FRACTIONS,
    quick_fractions=(1.0, 0.06),
    quick_splits=(0,),
)

if __name__ == "__main__":
    sys.exit(main(TABLE1))
