"""Fig 6: modality transfer. The anatomy of an image of one modality decoded with the z of an
image of the other (MR anatomy with CT z and the reverse), on SDNet trained fully supervised
with 100 % of both modalities (Table 3's model). The report measures the transfer: the
intensity distance of the transferred images to the target modality against the source one.

    python experiments/modality_transfer.py --preset quick                # MM-WHS phantom, minutes on a CPU
    python experiments/modality_transfer.py --data /path/to/MM-WHS/training --preset paper
    python experiments/modality_transfer.py --data ... --runs results/modality_classification_paper
"""
import sys

from sdnet.experiments import main
from sdnet.experiments.multimodal import multimodal_model_experiment
from sdnet.reporting.modality import transfer_report


MODALITY_TRANSFER = multimodal_model_experiment(
    "modality_transfer", "Fig 6 — modality transfer: SDNet at 100 % MR + 100 % CT (Dice %)", transfer_report)

if __name__ == "__main__":
    sys.exit(main(MODALITY_TRANSFER))
