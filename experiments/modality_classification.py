"""Section 5.4: the modality (MR or CT, or any two tags of a user's data) predicted from z by a
logistic regression fitted post hoc, with all z dimensions and with each alone, on SDNet
trained fully supervised with 100 % of both modalities (Table 3's model: C = 16 anatomy
channels, no unlabelled images, no augmentation).

    python experiments/modality_classification.py --preset quick          # MM-WHS phantom, minutes on a CPU
    python experiments/modality_classification.py --data /path/to/MM-WHS/training --preset paper
"""
import sys

from sdnet.data.volumes import MMWHS
from sdnet.experiments import Experiment, main
from sdnet.experiments.settings import MULTIMODAL_SUPERVISED


def analyse(plan, folders):
    from sdnet.inference import load_run
    from sdnet.reporting.modality import modality_report

    (spec, folder), = folders.items()
    model = load_run(folder, plan.cfg.test_weights)
    return modality_report(model.method, plan.loader.load_labelled_data(spec.split, "training"),
                           plan.loader.load_labelled_data(spec.split, "test"))


MODALITY_CLASSIFICATION = Experiment(
    name="modality_classification",
    title="Section 5.4 — modality from z: SDNet at 100 % MR + 100 % CT (Dice %)",
    dataset=MMWHS,
    methods=("sdnet",),
    fractions=(1.0,),
    splits=(0,),
    overrides=MULTIMODAL_SUPERVISED,
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(MODALITY_CLASSIFICATION))
