"""Fig 5: the anatomy channels of an MR and two CT images, and which channels both modalities
use and which one modality only (per-channel occupancy per modality over the test set), on
SDNet trained fully supervised with 100 % of both modalities (Table 3's model).

    python experiments/anatomy_channels.py --preset quick                 # MM-WHS phantom, minutes on a CPU
    python experiments/anatomy_channels.py --data /path/to/MM-WHS/training --preset paper
    python experiments/anatomy_channels.py --data ... --runs results/modality_classification_paper
"""
import sys

from sdnet.experiments import main
from sdnet.experiments.multimodal import multimodal_model_experiment
from sdnet.reporting.modality import channels_report


ANATOMY_CHANNELS = multimodal_model_experiment(
    "anatomy_channels", "Fig 5 — anatomy channels by modality: SDNet at 100 % MR + 100 % CT (Dice %)", channels_report)

if __name__ == "__main__":
    sys.exit(main(ANATOMY_CHANNELS))
