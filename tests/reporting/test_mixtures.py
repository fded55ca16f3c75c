"""Table 3's report from run folders on disk (constructed results, no training)."""
import json
import os

import numpy as np

from sdnet.data.dataset import Data
from sdnet.experiments.multimodal import MIXTURES
from sdnet.reporting.mixtures import mixtures_report
from sdnet.training.spec import RunSpec


def fake_run(folder, mixture, mr_dice, ct_dice):
    os.makedirs(folder)
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump({"config": MIXTURES[mixture]}, f)
    rows = [{"volume": "1001", "scores": {"avg": mr_dice}}, {"volume": "2001", "scores": {"avg": ct_dice}}]
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({"volumes_by_weights": {"last": {"original": rows}}}, f)
    return str(folder)


def test_each_mixture_is_scored_per_modality_beside_the_paper_and_the_fixed_total_rows_plotted(tmp_path):
    test = Data(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 1)), np.array([1001, 2001]), modality=np.array(["MR", "CT"]))
    runs = {RunSpec("sdnet", 1.0, 0, variant=name): fake_run(tmp_path / name, name, mr, ct)
            for name, mr, ct in (("MR87.5_CT12.5", 0.7, 0.4), ("MR50_CT50", 0.6, 0.65), ("MR100_CT0", 0.75, 0.1))}
    lines = mixtures_report(runs, lambda split: test, str(tmp_path))
    assert "| 87.5 % | 12.5 % | 70 ± 0 | 40 ± 0 | 74 ± 5 | 65 ± 6 |" in lines
    assert "| 100 % | 0 % | 75 ± 0 | (10 ± 0, not trained on) | 75 ± 3 | – |" in lines
    assert os.path.exists(tmp_path / "table3_mr_share.png")      # two fixed-total rows: 87.5/12.5 and 50/50


def test_other_modality_tags_head_the_columns_and_the_paper_stays_mr_and_ct(tmp_path):
    test = Data(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 1)), np.array([1001, 2001]),
                modality=np.array(["cine", "LGE"]))
    folder = fake_run(tmp_path / "m", "MR100_CT12.5", 0.8, 0.5)
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump({"config": {"modality_fractions": "cine=1,LGE=0.125"}}, f)     # as run_config records it
    lines = mixtures_report({RunSpec("sdnet", 1.0, 0, variant="MR100_CT12.5"): folder}, lambda split: test,
                            str(tmp_path), tags=("cine", "LGE"))
    assert "| cine share | LGE share | cine test | LGE test | published MR test | published CT test |" in lines
    assert "| 100 % | 12.5 % | 80 ± 0 | 50 ± 0 | 76 ± 3 | 56 ± 6 |" in lines


def test_a_mixture_lists_the_subjects_it_trained_on_and_warns_of_few_test_patients(tmp_path):
    subjects = np.array([1, 1, 2, 3, 11, 12, 12, 13, 14, 15, 16, 17, 18])       # 3 cine subjects, 8 LGE
    tags = np.array(["cine"] * 4 + ["LGE"] * 9)
    train = Data(np.zeros((13, 4, 4, 1)), np.zeros((13, 4, 4, 1)), subjects, modality=tags)
    test = Data(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 1)), np.array([21, 31]), modality=np.array(["cine", "LGE"]))
    folder = fake_run(tmp_path / "m", "MR100_CT12.5", 0.8, 0.5)
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump({"config": {"modality_fractions": "cine=1,LGE=0.125"}}, f)
    result = json.load(open(os.path.join(folder, "result.json")))
    result["volumes_by_weights"]["last"]["original"] = [{"volume": "21", "scores": {"avg": 0.8}},
                                                        {"volume": "31", "scores": {"avg": 0.5}}]
    result["labelled_subjects"] = [1, 2, 3, 12]
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump(result, f)
    lines = mixtures_report({RunSpec("sdnet", 1.0, 0, variant="MR100_CT12.5"): folder}, lambda split: test,
                            str(tmp_path), tags=("cine", "LGE"), training_data=lambda split: train)
    assert "| 100 % | 12.5 % | 3 of 3 (4 images) | 1 of 8 (2 images) | 80 ± 0 | 50 ± 0 | 76 ± 3 | 56 ± 6 |" in lines
    assert "Test patients (split 0): 1 cine, 1 LGE." in lines
    assert any(line.startswith("**Few test patients of cine and LGE**") for line in lines)
