"""The multimodal scripts on a user's own two folders of NIfTI pairs (any tags, any label
values): Table 3 trains, and the modality scripts reuse its model instead of retraining."""
import os
import shutil

import pytest

from sdnet.data.phantom import write_mmwhs
from sdnet.experiments import main
from sdnet.sweep.plan import find_experiment_script, load_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cine_and_lge(tmp_path_factory):
    """The MM-WHS phantom's two renderings as a user's cine and LGE folders of <name>.nii.gz /
    <name>_gt.nii.gz pairs, MM-WHS label values."""
    base = tmp_path_factory.mktemp("user")
    source = write_mmwhs(str(base / "source"), subjects=7, size=32, spacing=7.0, slices=2)
    folders = {}
    for prefix, tag in (("mr_", "cine"), ("ct_", "LGE")):
        folder = folders[tag] = base / tag
        folder.mkdir()
        for name in os.listdir(source):
            if name.startswith(prefix):
                target = name.replace("_image.nii.gz", ".nii.gz").replace("_label.nii.gz", "_gt.nii.gz")
                shutil.copy(os.path.join(source, name), folder / target)
    return folders


def test_table3_and_the_three_modality_scripts_run_on_two_tagged_folders_sharing_one_model(cine_and_lge, tmp_path):
    common = ["--data", *(f"{tag}={folder}" for tag, folder in cine_and_lge.items()),
              "--label-map", "MYO=205,LV=500,RV=600", "--preset", "tiny", "--cache-dir", str(tmp_path / "cache"),
              "--set", "epochs=1", "batches_per_epoch=2"]
    table3 = str(tmp_path / "table3")
    assert main(load_experiment(find_experiment_script("table3_mmwhs")),
                common + ["--variants", "MR100_CT100", "--out", table3]) == 0
    report = open(os.path.join(table3, "report.md")).read()
    assert "| cine share | LGE share | cine labelled: subjects (images) | LGE labelled: subjects (images) | " \
        "cine test | LGE test |" in report
    assert "SDNet (cine100_LGE100) MYO" in report and "MR100" not in report        # the user's tags name the rows
    assert report.startswith("# Table 3 — cine + LGE mixtures")                # and the heading
    assert "pool the test patients of" in report and "test patients pooled" in report
    assert report.index("### Table 3: test Dice (%) on each modality") < report.index("## Measured (the authors")
    assert "**Not comparable**: these runs use the `tiny` preset" in report
    assert "modality_roles" in open(os.path.join(table3, "experiment.json")).read()
    for script, written in (("modality_classification", "### Modality from z"),
                            ("modality_transfer", "fig6_modality_transfer.png"),
                            ("anatomy_channels", "fig5_anatomy_channels.png")):
        out = str(tmp_path / script)
        assert main(load_experiment(find_experiment_script(script)), common + ["--out", out, "--runs", table3]) == 0
        assert not os.path.exists(os.path.join(out, "runs"))          # Table 3's model, not a second training
        report = open(os.path.join(out, "report.md")).read()
        assert written in report and "LGE" in report and "cine" in report, script
        if written.endswith(".png"):
            assert os.path.getsize(os.path.join(out, written)) > 0
