"""The report's layout, from result files on disk."""
import os
import re

import numpy as np

from sdnet.io import write_json
from sdnet.reporting.published import TABLE1
from sdnet.reporting.report import collect_results, write_report

from helpers import fake_result

ORDER = [("unet", ""), ("gan", ""), ("selftrain", ""), ("sdnet", "")]


def test_report_layout_from_results_on_disk(tmp_path):
    rng = np.random.default_rng(0)
    for f in (1.0, 0.5):
        for m, level in (("unet", 0.6), ("sdnet", 0.8)):
            write_json(str(tmp_path / "runs" / m / f"l{f:g}" / "split0" / "result.json"), fake_result(m, f, 0, level, rng))
    results = collect_results(str(tmp_path))
    assert len(results) == 4
    table = write_report(str(tmp_path), "Table 1 test", results, ORDER, TABLE1.fractions, TABLE1,
                         {"data": "phantom"}, missing=["gan/l1/split0"])
    report = open(tmp_path / "report.md").read()
    assert table.splitlines()[0] == "| labels | U-Net MYO | U-Net LV | U-Net RV | U-Net avg | SDNet MYO | " \
                                    "SDNet LV | SDNet RV | SDNet avg |"
    cells = [c.strip() for c in table.splitlines()[2].strip("|").split("|")]
    assert cells[0] == "1" and 58 <= int(cells[1].split("±")[0]) <= 62
    assert all(78 <= int(c.split("±")[0]) <= 82 and c.endswith("*") for c in cells[5:])  # SDNet better: starred
    assert "| 1 | 83±7 | 88±6 | 79±10 | 85±7 | 84±5 | 88±4 | 78±8 | 84±5 |" in report   # published row
    assert re.search(r"\| 1 \| -2[2-4] \|", report)                          # measured minus published: ~60 - 83
    assert "data note: a data note" in report and "data: phantom" in report
    assert "- gan/l1/split0" in report and "best epoch's weights" in report
    assert "| U-Net | 2 | 2.0 | supervised 10 |" in report                 # the training budget
    assert os.path.exists(tmp_path / "dice_vs_labels.png")
    rows = open(tmp_path / "results.csv").read().strip().splitlines()
    assert len(rows) == 1 + 4 * 2 * (5 + 4)   # runs x weights x (original: 3 + avg + mean, standard: 3 + mean)
    assert "Mean of the structures' Dice" in report and "| labels | U-Net mean | SDNet mean |" in report


def test_runs_set_aside_are_not_collected(tmp_path):
    rng = np.random.default_rng(0)
    write_json(str(tmp_path / "runs" / "unet" / "l1" / "split0" / "result.json"), fake_result("unet", 1.0, 0, 0.5, rng))
    write_json(str(tmp_path / "runs" / "unet" / "l1" / ".replaced" / "split0-x" / "result.json"),
               fake_result("unet", 1.0, 0, 0.9, rng))
    assert len(collect_results(str(tmp_path))) == 1


def test_factor_sizes_get_their_section_with_the_papers_numbers(tmp_path):
    from sdnet.reporting.published import FACTOR_SIZES

    rng = np.random.default_rng(0)
    for variant, channels, variances in (("C4", 4, [0.5, 0.7, 0.9, 0.95]), ("z32", 8, [0.6, 0.8] + [1.0] * 30)):
        result = fake_result("sdnet", 1.0, 0, 0.7, rng)
        result["spec"]["variant"] = variant
        result["factors"] = {"anatomy_channels": channels, "empty_anatomy_channels": 1, "z_dimensions": len(variances),
                             "z_posterior_variance": variances}
        write_json(str(tmp_path / "runs" / f"sdnet_{variant}" / "l1" / "split0" / "result.json"), result)
    order = [("sdnet", v) for v in ("", "C4", "C8", "z32")]
    write_report(str(tmp_path), "factors", collect_results(str(tmp_path)), order, (1.0,), FACTOR_SIZES)
    report = open(tmp_path / "report.md").read()
    assert "| SDNet (C4) | 4 | 1.0 | 4 | 0.50, 0.70 | 0.93 | Dice 68.1 ± 8 (significantly below C = 8) |" in report
    assert "| SDNet (z32) | 8 | 1.0 | 32 | 0.60, 0.80 | 1.00 | Dice 83 ± 6;" in report


def test_pooled_modalities_and_a_preset_below_paper_are_said_where_the_tables_are(tmp_path):
    rng = np.random.default_rng(0)
    for m in ("unet", "sdnet"):
        write_json(str(tmp_path / "runs" / m / "l1" / "split0" / "result.json"), fake_result(m, 1.0, 0, 0.7, rng))
    results = collect_results(str(tmp_path))
    write_report(str(tmp_path), "t", results, ORDER, TABLE1.fractions, TABLE1, {"preset": "quick"},
                 pooled_modalities=("cine", "LGE"))
    report = open(tmp_path / "report.md").read()
    assert "**The tables below pool the test patients of cine and LGE**" in report
    assert "## Measured (the authors' protocol), cine and LGE test patients pooled" in report
    assert "**Not comparable**: these runs use the `quick` preset" in report
    write_report(str(tmp_path), "t", results, ORDER, TABLE1.fractions, TABLE1, {"preset": "paper"})
    report = open(tmp_path / "report.md").read()
    assert "pooled" not in report.split("## Measured (")[1].splitlines()[0] and "Not comparable" not in report
