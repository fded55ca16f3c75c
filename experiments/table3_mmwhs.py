"""Table 3: SDNet trained fully supervised on mixtures of MR and CT subjects (MM-WHS: 7
structures, C = 16), each model scored on the MR and on the CT test subjects apart, beside the
published table; plus the plot of both against the MR share of a fixed-size training set.

A mixture is a variant: `MR100_CT12.5` trains on every MR training subject and 12.5 % of the CT
ones (at least one subject; 12.5 % of MM-WHS's 14 training subjects per modality is one). The
quick preset runs three mixtures; `--variants` names others, e.g. every fixed-total row:

    python experiments/table3_mmwhs.py --preset quick                     # MM-WHS phantom, minutes on a CPU
    python experiments/table3_mmwhs.py --data /path/to/MM-WHS/training --preset paper     # all 14 mixtures
    python experiments/table3_mmwhs.py --preset quick --variants MR87.5_CT12.5 MR50_CT50 MR12.5_CT87.5
    # any two modalities: in the order given they play MR's and CT's parts (a tag named MR or CT keeps its own)
    python experiments/table3_mmwhs.py --data cine=/data/cine LGE=/data/lge --label-map MYO=2,LV=3
"""
import sys

from sdnet.data.pairs import MMWHS
from sdnet.experiments import Experiment, main
from sdnet.experiments.multimodal import MULTIMODAL_SUPERVISED
from sdnet.experiments.multimodal import MIXTURES


def analyse(plan, folders):
    from sdnet.reporting.mixtures import mixtures_report

    return mixtures_report(folders, lambda split: plan.loader.load_labelled_data(split, "test"), plan.out,
                           plan.cfg.test_weights, tags=(plan.roles["MR"], plan.roles["CT"]),
                           training_data=lambda split: plan.loader.load_labelled_data(split, "training"),
                           preset=plan.request.preset)


TABLE3_MMWHS = Experiment(
    name="table3_mmwhs",
    title="Table 3 — MR + CT mixtures, fully supervised SDNet (Dice %)",
    dataset=MMWHS,
    methods=("sdnet",),
    fractions=(1.0,),
    splits=(0,),
    variants=MIXTURES,
    overrides=MULTIMODAL_SUPERVISED,
    quick_variants=("MR100_CT100", "MR100_CT12.5", "MR12.5_CT100"),
    modality_roles=("MR", "CT"),
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(TABLE3_MMWHS))
