"""Section 5.4: the modality (MR or CT, or any two tags of a user's data) predicted from z by a
logistic regression fitted post hoc, with all z dimensions and with each alone, on SDNet
trained fully supervised with 100 % of both modalities (Table 3's model).

    python experiments/modality_classification.py --preset quick          # MM-WHS phantom, minutes on a CPU
    python experiments/modality_classification.py --data /path/to/MM-WHS/training --preset paper
    python experiments/modality_classification.py --data ... --runs results/modality_transfer_paper
        # reuse the model another multimodal script trained (same configuration)
"""
import sys

from sdnet.experiments import main
from sdnet.experiments.multimodal import multimodal_model_experiment
from sdnet.reporting.modality import modality_report


MODALITY_CLASSIFICATION = multimodal_model_experiment(
    "modality_classification", "Section 5.4 — modality from z: SDNet at 100 % MR + 100 % CT (Dice %)", modality_report)

if __name__ == "__main__":
    sys.exit(main(MODALITY_CLASSIFICATION))
