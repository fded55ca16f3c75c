"""The model that Sections 5.3-5.4 and Figs 5-6 study: SDNet trained fully supervised with 100 %
of both modalities (Table 3's top row). Each of those scripts declares its experiment here and
differs only in what it reports; `--runs DIR` lets them share one trained model, or use Table 3's
(its MR100_CT100 run). Any two modality tags play MR and CT (`Experiment.modality_roles`)."""
from __future__ import annotations

from sdnet.data.pairs import MMWHS
from sdnet.experiments.declaration import Experiment
from sdnet.reporting.published import TABLE3_MIXTURES

def mixture_name(mr, ct) -> str:
    return f"MR{100 * mr:g}_CT{100 * ct:g}"


# Table 3's rows as configuration variants: shares of each modality's training subjects
MIXTURES = {mixture_name(mr, ct): {"modality_fractions": f"MR={mr:g},CT={ct:g}"} for mr, ct in TABLE3_MIXTURES}

# Table 3's setting: no unlabelled images (so neither the unsupervised update nor D_M),
# 16 anatomy channels, no augmentation (the paper rotates ACDC only)
MULTIMODAL_SUPERVISED = {"anatomy_channels": 16, "augment": False, "train_unsupervised": False,
                         "train_discriminator": False}


def multimodal_model_experiment(name, title, report) -> Experiment:
    """`report(method, training Data, test Data, output folder)` -> markdown lines, run on the
    trained model (the configured test weights) of split 0."""

    def analyse(plan, folders):
        from sdnet.inference import load_model

        (spec, folder), = folders.items()
        method = load_model(folder, plan.cfg.test_weights).method
        return report(method, plan.loader.load_labelled_data(spec.split, "training"),
                      plan.loader.load_labelled_data(spec.split, "test"), plan.out)

    both = "MR100_CT100"      # Table 3's top row, declared alike: its run is this run (reused with --runs)
    return Experiment(name=name, title=title, dataset=MMWHS, methods=("sdnet",), fractions=(1.0,), splits=(0,),
                      variants={both: MIXTURES[both]}, overrides=MULTIMODAL_SUPERVISED, modality_roles=("MR", "CT"),
                      analyse=analyse)
