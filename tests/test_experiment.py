"""The experiment CLI's checks and the report's layout."""
import argparse
import os

import numpy as np
import pytest

from sdnet.experiment import Experiment, build_parser, check_out_folder, main, resolve
from sdnet.report import write_report

EXP = Experiment(name="t", title="Table 1 test", methods=("unet", "gan", "selftrain", "sdnet"),
                 fractions=(1.0, 0.5), quick_fractions=(1.0,), quick_splits=(0,))


def parse(*argv):
    return build_parser(EXP).parse_args(list(argv))


@pytest.mark.parametrize("argv, message", [
    (["--methods", "vae"], "unknown method"),
    (["--labels", "0"], "outside"),
    (["--labels", "1.5"], "outside"),
    (["--splits", "3"], "do not exist"),
    (["--set", "epochs"], "KEY=VALUE"),
    (["--set", "no_such=1"], "unknown configuration"),
])
def test_bad_flags_are_refused(argv, message):
    with pytest.raises(ValueError, match=message):
        resolve(EXP, parse(*argv))


def test_flags_select_the_grid_in_table_order():
    cfg, methods, fractions, splits = resolve(EXP, parse("--methods", "sdnet", "unet", "--set", "epochs=3"))
    assert methods == ["unet", "sdnet"] and fractions == [1.0] and splits == [0] and cfg.epochs == 3
    _, _, fractions, splits = resolve(EXP, parse("--preset", "paper"))
    assert fractions == [1.0, 0.5] and splits == [0, 1, 2]


def test_out_folder_of_another_configuration_is_refused(tmp_path):
    check_out_folder(str(tmp_path), {"config": {"epochs": 2, "seed": 1}}, force=False)
    with pytest.raises(ValueError, match="differing: config.epochs"):
        check_out_folder(str(tmp_path), {"config": {"epochs": 3, "seed": 1}}, force=False)
    check_out_folder(str(tmp_path), {"config": {"epochs": 3, "seed": 1}}, force=True)


def test_cli_prints_a_clear_error_and_exits_2(capsys):
    assert main(EXP, ["--labels", "2"]) == 2
    assert "error: labelled fraction" in capsys.readouterr().err


def fake_result(method, fraction, split, level, rng):
    volumes = []
    for v in range(6):
        scores = {k: float(np.clip(level + rng.normal(0, 0.02), 0, 1)) for k in ("Dice", "MYO", "LV", "RV")}
        scores["avg"] = float(np.mean([scores[k] for k in ("MYO", "LV", "RV")]))
        volumes.append({"volume": f"patient{v:03d}_frame01", "original": scores,
                        "standard": {k: scores[k] for k in ("MYO", "LV", "RV", "avg")}})
    summary = {p: {k: (float(np.mean([v[p][k] for v in volumes])), float(np.std([v[p][k] for v in volumes])))
                   for k in volumes[0][p]} for p in ("original", "standard")}
    return {"spec": {"method": method, "fraction": fraction, "split": split, "seed": 1}, "volumes": volumes,
            "summary": summary, "summary_by_weights": {"last": summary, "best": summary},
            "volumes_by_weights": {"last": volumes, "best": volumes}, "notes": ["a data note"], "wall_s": 60.0, "test_weights": "last",
            "best_val_dice": level, "epochs_trained": 2, "hardware": {"backend": "tensorflow", "device": "CPU"}}


def test_report_layout(tmp_path):
    rng = np.random.default_rng(0)
    results = [fake_result(m, f, 0, level, rng) for f in (1.0, 0.5)
               for m, level in (("unet", 0.6), ("sdnet", 0.8))]
    table = write_report(results, str(tmp_path), "Table 1 test", {"data": "phantom"}, EXP.methods, EXP.fractions)
    report = open(tmp_path / "report.md").read()
    assert table.splitlines()[0] == "| labels | U-Net MYO | U-Net LV | U-Net RV | U-Net avg | SDNet MYO | " \
                                    "SDNet LV | SDNet RV | SDNet avg |"
    row = table.splitlines()[2]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "1" and cells[1].startswith("60±")
    assert all(c.startswith("8") and c.endswith("*") for c in cells[5:])    # SDNet clearly better: starred
    assert "| 1 | 83±7 | 88±6 | 79±10 | 85±7 | 84±5 | 88±4 | 78±8 | 84±5 |" in report   # published row
    assert "| 1 | -23 |" in report                                           # measured minus published
    assert "data note: a data note" in report and "data: phantom" in report
    assert os.path.exists(tmp_path / "dice_vs_labels.png")
    rows = open(tmp_path / "results.csv").read().strip().splitlines()
    assert len(rows) == 1 + 4 * 2 * (5 + 4)   # runs x weights x (original: Dice + 4, standard: 4 scores)
    assert "best epoch's weights" in report
