"""Table 2: semi-supervised segmentation of LV and MYO (the paper's QMRI data set is private).

Any folder of NIfTI pairs, or ACDC read as LV + MYO (the RV counts as background); ED frames
only, no augmentation, as the paper's QMRI experiment.

    python experiments/table2_lvmyo.py --preset quick                      # phantom, minutes on a CPU
    python experiments/table2_lvmyo.py --data /path/to/ACDC/training --preset paper   # on a GPU
    python experiments/table2_lvmyo.py --data /path/to/pairs --label-map MYO=1,LV=2   # other label values
"""
import sys

from sdnet.data.acdc import ACDC_LV_MYO_ED
from sdnet.experiments import Experiment, main
from sdnet.reporting.published import TABLE2

TABLE2_LVMYO = Experiment(
    name="table2_lvmyo",
    title="Table 2 — LV + MYO semi-supervised segmentation, ED frames (Dice %)",
    dataset=ACDC_LV_MYO_ED,
    published=TABLE2,
    methods=("unet", "gan", "selftrain", "sdnet"),
    fractions=TABLE2.fractions,
    overrides={"augment": False},
    quick_fractions=(1.0, 0.06),
)

if __name__ == "__main__":
    sys.exit(main(TABLE2_LVMYO))
