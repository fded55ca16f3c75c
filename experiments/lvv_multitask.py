"""Section 5.2: LV volume as a second task. SDNet pre-trained with one labelled subject, then
fine-tuned whole with an area regressor on s supervised by the LV areas of every training
subject. The report gives the regressed against the true LV volume of the test frames (paired
t-test, Bland-Altman plot) and the test Dice before and after fine-tuning, beside the paper's
QMRI numbers; the `no_area` variant fine-tunes as long without the area cost, so that the gain
of the volume supervision is told apart from that of training longer.

    python experiments/lvv_multitask.py --preset quick                     # phantom, minutes on a CPU
    python experiments/lvv_multitask.py --data /path/to/ACDC/training --preset paper
    python experiments/lvv_multitask.py --data /path/to/pairs --label-map MYO=1,LV=2
"""
import sys

from sdnet.data.acdc import ACDC_LV_MYO_ED
from sdnet.experiments import Experiment, main


def analyse(plan, folders):
    from sdnet.inference import load_model
    from sdnet.methods.sdnet_lvv import PRETRAINED
    from sdnet.reporting.lvv import lvv_report

    runs = {}
    for spec, folder in sorted(folders.items(), key=lambda item: item[0].name):
        after = load_model(folder, "last")
        runs[spec.name] = (load_model(folder, PRETRAINED).method, after.method, after.config,
                           plan.loader.load_labelled_data(spec.split, "test"))
    return lvv_report(runs, plan.loader, plan.out)


LVV_MULTITASK = Experiment(
    name="lvv_multitask",
    title="Section 5.2 — LV volume multi-task: SDNet from one labelled subject, fine-tuned with LV areas (Dice %)",
    dataset=ACDC_LV_MYO_ED,
    methods=("sdnet_lvv",),
    fractions=(0.015,),
    splits=(0,),
    variants={"": {}, "no_area": {"w_area": 0.0}},
    overrides={"augment": False},
    analyse=analyse,
)

if __name__ == "__main__":
    sys.exit(main(LVV_MULTITASK))
