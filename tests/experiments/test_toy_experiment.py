"""A new experiment declared here, and nowhere else: two methods, a two-structure phantom data
set and a made-up published table, run end to end from the command line."""
import csv
import os

import pytest

from sdnet.data.acdc import ACDCLoader
from sdnet.data.base import DataSource
from sdnet.experiments import Experiment, main
from sdnet.reporting.published import PublishedTable

pytestmark = pytest.mark.slow

MADE_UP = PublishedTable(name="Table 99", caption="made up", structures=("MYO", "LV", "avg"),
                         rows={1.0: {"unet": [(50, 5), (60, 6), (55, 5)], "sdnet": [(70, 7), (80, 8), (75, 7)]}})


def toy_experiment(phantom_root):
    def open_lv_myo(root, image_size, spacing_mm, cache_dir=None):
        return ACDCLoader(root, image_size=image_size, spacing_mm=spacing_mm, cache_dir=cache_dir, workers=1,
                          structures={"MYO": 2, "LV": 3})

    dataset = DataSource(name="LV + MYO phantom", expects="an ACDC-layout folder", open=open_lv_myo,
                      phantom=lambda cache_dir: phantom_root)
    return Experiment(name="toy", title="Toy table: LV and MYO", methods=("unet", "sdnet"), fractions=(1.0, 0.5),
                      dataset=dataset, published=MADE_UP, quick_fractions=(1.0,))


def test_a_toy_experiment_runs_end_to_end_and_reports_from_disk(phantom_root, tmp_path, capsys):
    exp = toy_experiment(phantom_root)
    out = str(tmp_path / "out")
    common = ["--preset", "tiny", "--out", out, "--cache-dir", str(tmp_path / "cache"),
              "--set", "epochs=1", "batches_per_epoch=2", "max_unlabelled=16"]
    assert main(exp, common + ["--methods", "unet"]) == 0
    assert main(exp, common + ["--methods", "sdnet"]) == 0      # a second invocation into the same --out
    report = open(os.path.join(out, "report.md")).read()
    assert report.startswith("# Toy table: LV and MYO\n\n## Answer")
    assert "- 100 % labels: " in report and "one labelled set, so no test over sets" in report
    assert "| labels | U-Net MYO | U-Net LV | U-Net avg | SDNet MYO | SDNet LV | SDNet avg |" in report
    assert "## Published (Chartsias et al. 2019, Table 99)" in report
    assert "| 1 | 50±5 | 60±6 | 55±5 | 70±7 | 80±8 | 75±7 |" in report
    assert "RV" not in report.split("## Training budget")[0]
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert {r["method"] for r in rows} == {"unet", "sdnet"}           # both invocations' runs
    assert {r["structure"] for r in rows} == {"MYO", "LV", "avg", "mean"}
    assert not os.path.exists(os.path.join(out, "dice_vs_labels.png"))     # one fraction: nothing to plot
    # a partial grid: the report names what is missing
    assert main(exp, common + ["--report-only", "--labels", "1", "0.5"]) == 0
    report = open(os.path.join(out, "report.md")).read()
    assert "## Not finished yet (2 run(s) of this grid)" in report and "- sdnet/l0.5/split0" in report


def test_runs_of_another_output_are_reused_not_retrained_and_analysed(phantom_root, tmp_path, capsys):
    import dataclasses

    exp = toy_experiment(phantom_root)
    table = str(tmp_path / "table")
    # seed 2: a run's seed is part of its configuration, the preset's default is 1
    common = ["--preset", "tiny", "--cache-dir", str(tmp_path / "cache"), "--methods", "unet", "--labels", "1",
              "--seeds", "2", "--set", "epochs=1", "batches_per_epoch=2"]
    assert main(exp, common + ["--out", table]) == 0
    seen = {}

    def analyse(plan, folders):
        seen.update(folders)
        return ["## Analysed", "", f"{len(folders)} run(s)"]

    figures = dataclasses.replace(exp, name="figures", analyse=analyse)
    out = str(tmp_path / "figures")
    assert main(figures, common + ["--out", out, "--runs", table]) == 0
    (folder,) = seen.values()
    assert folder.startswith(table) and not os.path.exists(os.path.join(out, "runs", "unet"))
    report = open(os.path.join(out, "report.md")).read()
    analysis = "## Analysed\n\n1 run(s)\n"
    assert "runs reused from" in report and report.index(analysis) < report.index("## Measured")  # its answer first
    seen.clear()
    assert main(figures, common + ["--out", out, "--runs", table, "--report-only"]) == 0   # the analysis again
    assert seen and open(os.path.join(out, "report.md")).read().count(analysis) == 1
    # the same run under another configuration is refused, naming what differs
    assert main(figures, common[:-2] + ["epochs=2", "batches_per_epoch=2", "--out", out + "2", "--runs", table]) == 2
    assert "there is a run of another configuration (differing: config.epochs)" in capsys.readouterr().err
    assert main(figures, common + ["--out", out, "--runs", str(tmp_path / "nothing")]) == 2
    assert "not an experiment's output folder" in capsys.readouterr().err


def test_stop_after_epochs_leaves_a_run_that_the_same_command_resumes(phantom_root, tmp_path):
    exp = toy_experiment(phantom_root)
    out = tmp_path / "out"
    common = ["--preset", "tiny", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--methods", "unet",
              "--labels", "1", "--set", "epochs=2", "batches_per_epoch=2"]
    assert main(exp, common + ["--stop-after-epochs", "1"]) == 4           # a planned stop, told apart
    (log_path,) = out.glob("runs/unet/l1/*/training_log.csv")
    assert len(log_path.read_text().splitlines()) == 2                 # header + the one epoch trained
    assert not (log_path.parent / "result.json").exists()
    assert main(exp, common) == 0                                       # resumed: the second epoch, then the test
    assert len(log_path.read_text().splitlines()) == 3 and (log_path.parent / "result.json").exists()


def test_force_into_a_folder_of_another_configuration_sets_all_of_it_aside(phantom_root, tmp_path):
    import json

    exp = toy_experiment(phantom_root)
    out = tmp_path / "out"
    common = ["--preset", "tiny", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--labels", "1",
              "--set", "batches_per_epoch=2", "max_unlabelled=16"]
    assert main(exp, common + ["epochs=1", "--methods", "unet"]) == 0
    assert main(exp, common + ["epochs=2", "--methods", "unet", "--force"]) == 0
    result = json.loads((out / "runs" / "unet" / "l1" / "split0" / "result.json").read_text())
    assert result["epochs_trained"] == 2                                   # retrained, not the old run kept
    (aside,) = os.listdir(out / ".replaced")
    old = json.loads((out / ".replaced" / aside / "runs" / "unet" / "l1" / "split0" / "result.json").read_text())
    assert old["epochs_trained"] == 1


def test_a_candidate_is_chosen_on_the_tuning_seeds_validation_and_alone_runs_the_other_seeds(phantom_root, tmp_path):
    import dataclasses
    import json

    exp = dataclasses.replace(toy_experiment(phantom_root), methods=("unet",), fractions=(1.0,), seeds=(1, 2),
                              variants={"slow": {"learning_rate": 1e-6}, "fast": {"learning_rate": 1e-2}},
                              candidates={"slow": "lr", "fast": "lr"})
    out = tmp_path / "out"
    common = ["--preset", "tiny", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--seeds", "1", "2",
              "--set", "epochs=1", "batches_per_epoch=2"]
    assert main(exp, common + ["--only", "unet_slow/l1/split0"]) == 0
    report = open(out / "report.md").read()
    assert "unet_lr_<chosen>/l1/split0_seed2 (its candidate is chosen once the tuning seed's runs finish)" in report
    assert main(exp, common) == 0           # the other candidate, then the chosen one on seed 2
    validation = {v: json.load(open(out / "runs" / f"unet_{v}" / "l1" / "split0" / "result.json"))["best_val_dice"]
                  for v in ("slow", "fast")}
    chosen = max(validation, key=validation.get)
    other = "slow" if chosen == "fast" else "fast"
    assert (out / "runs" / f"unet_{chosen}" / "l1" / "split0_seed2" / "result.json").exists()
    assert not (out / "runs" / f"unet_{other}" / "l1" / "split0_seed2").exists()
    assert "Not finished yet" not in open(out / "report.md").read()


def test_an_archived_record_rebuilds_the_report_and_lets_the_grid_continue_without_retraining(phantom_root, tmp_path,
                                                                                                capsys):
    from sdnet.cli import main as sdnet_main

    exp = toy_experiment(phantom_root)
    out, record = tmp_path / "out", tmp_path / "record"
    common = ["--preset", "tiny", "--cache-dir", str(tmp_path / "cache"), "--methods", "unet", "--labels", "1", "0.5",
              "--set", "epochs=2", "batches_per_epoch=2"]
    assert main(exp, common + ["--out", str(out), "--only", "unet/l1/split0"]) == 0
    assert main(exp, common + ["--out", str(out), "--only", "unet/l0.5/split0", "--stop-after-epochs", "1"]) == 4
    assert sdnet_main(["archive", str(out), str(record)]) == 0
    said = capsys.readouterr().out
    assert "1 finished run(s) recorded, 0 already there" in said and "left out (1): runs/unet/l0.5/split0" in said
    files = sorted(str(p.relative_to(record)) for p in record.rglob("*") if p.is_file())
    assert files == ["experiment.json"] + [f"runs/unet/l1/split0/{n}" for n in
                                           ("DONE", "result.json", "run.json", "test_scores_best.csv",
                                            "test_scores_last.csv", "training_log.csv")]   # no weights
    report = (out / "report.md").read_text()
    assert main(exp, common + ["--out", str(record), "--labels", "1", "--report-only"]) == 0
    rows = [line for line in report.splitlines() if line.startswith("| 1 |")]
    assert rows and rows == [line for line in (record / "report.md").read_text().splitlines()
                             if line.startswith("| 1 |")]             # the same numbers from the record
    # elsewhere: the recorded run is reused, the unfinished one trained; archiving again adds it
    assert main(exp, common + ["--out", str(tmp_path / "again"), "--runs", str(record)]) == 0
    assert not (tmp_path / "again" / "runs" / "unet" / "l1").exists()
    assert (tmp_path / "again" / "runs" / "unet" / "l0.5" / "split0" / "result.json").exists()
    assert sdnet_main(["archive", str(tmp_path / "again"), str(record)]) == 0
    assert "1 finished run(s) recorded, 0 already there" in capsys.readouterr().out
    assert sdnet_main(["archive", str(out), str(record)]) == 0          # nothing new: nothing copied
    assert "0 finished run(s) recorded, 1 already there" in capsys.readouterr().out
    # bad input: one line naming the folder and what was expected
    for args, expected in (([str(tmp_path / "nothing"), str(record)], "folder not found"),
                           ([str(record / "runs"), str(tmp_path / "r2")], "no experiment.json"),
                           ([str(out), str(out / "record")], "must be a folder outside"),
                           ([str(out), str(out / "report.md")], "must be a folder outside"),
                           ([str(out), str(tmp_path / "cache")], "a folder with other content")):
        assert sdnet_main(["archive"] + args) == 2
        assert expected in capsys.readouterr().err
    other = tmp_path / "other"
    assert main(exp, common[:-2] + ["epochs=1", "batches_per_epoch=2", "--out", str(other), "--labels", "1"]) == 0
    assert sdnet_main(["archive", str(other), str(record)]) == 2
    assert "records runs of another configuration or data (differing: config.epochs)" in capsys.readouterr().err
