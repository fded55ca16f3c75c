"""SDNet against the U-Net with one labelled subject (Table 1's 1.5 %), at the CPU-scale setting of
the one-subject study and with the same training budget: SDNet with D_M trained on the masks of
its own unsupervised update (`fake_masks=unsupervised`, the change that stops its collapse at
this scale, docs/results/sdnet_one_subject.md), the U-Net with as many labelled batches as SDNet
(285 an epoch for 8 epochs, validated at the same points). Pair the two over the seeds with
`python -m sdnet.reporting.compare OUT --a sdnet:last --b unet:best --fraction 0.015 --score mean`.

    python experiments/one_subject_comparison.py --data /path/to/ACDC/training --preset quick   # 3 seeds: about 3 h on 2 cores (estimated)
    python experiments/one_subject_comparison.py --data /path/to/ACDC/training --preset paper   # paper sizes, on a GPU
"""
import sys

from sdnet.data.acdc import ACDC
from sdnet.experiments import Experiment, main
from sdnet.experiments.settings import ONE_SUBJECT_CPU
from sdnet.reporting.published import TABLE1

ONE_SUBJECT_COMPARISON = Experiment(
    name="one_subject_comparison",
    title="SDNet (D_M on the unsupervised update's masks) and U-Net at one labelled subject (Dice %)",
    dataset=ACDC,
    published=TABLE1,
    methods=("unet", "sdnet"),
    fractions=(0.015,),
    splits=(0,),
    seeds=(1, 2, 3),
    overrides={"fake_masks": "unsupervised"},
    quick_overrides=ONE_SUBJECT_CPU,
    # SDNet's epoch is one pass over the unlabelled pool (1,140 images at split 0: 285 batches);
    # the U-Net, which reads no unlabelled images, gets as many labelled batches an epoch
    quick_method_overrides={"unet": {"batches_per_epoch": 285}},
    quick_seeds=(1, 2, 3),
    # both methods with batch-norm statistics recomputed from the training images before each
    # validation and test (the moving averages make SDNet's validation swing at this scale):
    # `--variants recomputed_bn`; the default grid keeps the moving statistics
    variants={"": {}, "recomputed_bn": {"batchnorm_statistics": "recomputed"}},
    quick_variants=("",),
)

if __name__ == "__main__":
    sys.exit(main(ONE_SUBJECT_COMPARISON))
