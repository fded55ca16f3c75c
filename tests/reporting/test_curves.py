"""Training curves of several runs and their summary table."""
import csv
import os

import numpy as np

from sdnet.reporting.curves import find_runs, main, plot_curves, summary_row


def write_log(folder, values):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "training_log.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["phase", "epoch", "val_dice", "adv_M"])
        writer.writeheader()
        writer.writerows({"phase": 0, "epoch": i, "val_dice": v, "adv_M": 0.5} for i, v in enumerate(values))


def test_curves_and_table_of_runs_and_out_folders(tmp_path, capsys):
    write_log(tmp_path / "a", [0.1, 0.3, 0.2])
    write_log(tmp_path / "out" / "runs" / "sdnet" / "l1" / "split0", [0.2, 0.1])
    write_log(tmp_path / "out" / "runs" / "sdnet" / "l1" / "split0_seed2", [0.4])
    runs = find_runs("a", str(tmp_path / "a")) + find_runs("b", str(tmp_path / "out"))
    assert [label for label, _ in runs] == ["a", "b/sdnet/l1/split0", "b/sdnet/l1/split0_seed2"]
    seeds = find_runs("c", str(tmp_path / "out" / "runs" / "sdnet" / "l1"))      # one method's seeds
    assert [label for label, _ in seeds] == ["c/split0", "c/split0_seed2"]
    row = summary_row("a", str(tmp_path / "a"))
    assert row["best val Dice (epoch)"] == "0.300 (2)" and row["last val Dice"] == "0.200" and row["epochs"] == 3
    path = plot_curves(runs, ["val_dice", "adv_M", "not_logged"], str(tmp_path / "c.png"))
    assert os.path.getsize(path) > 1000
    main(["--runs", f"a={tmp_path / 'a'}", "--out", str(tmp_path / "d.png")])
    assert "| a | 3 | 0.300 (2) | 0.200 | none |" in capsys.readouterr().out


def test_the_supervised_loss_median_is_taken_from_the_late_epochs(tmp_path):
    os.makedirs(tmp_path / "r")
    with open(tmp_path / "r" / "training_log.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["epoch", "val_dice", "supervised_Mask"])
        writer.writeheader()
        writer.writerows({"epoch": i, "val_dice": 0.5, "supervised_Mask": v} for i, v in enumerate([0.9, 0.8, 0.3, 0.5, 0.4]))
    row = summary_row("r", str(tmp_path / "r"), late_from=3)
    assert row["supervised loss, median from epoch 3 (lowest)"] == "0.40 (0.30)"


def test_collapsed_epochs_are_falls_below_half_the_best_before_them():
    """Epoch 4 (0.3 after a best of 0.7) and epoch 6 (0.1) collapsed; epoch 5 (0.6) did not, and
    epoch 2's fall from 0.3 is the first epochs' noise, below the floor."""
    from sdnet.reporting.curves import collapsed_epochs

    assert collapsed_epochs([0.3, 0.1, 0.7, 0.3, 0.6, 0.1, 0.75]) == [4, 6]
    assert collapsed_epochs([np.nan, 0.5, 0.2]) == [3]
    assert collapsed_epochs([0.8, 0.41]) == []
    assert collapsed_epochs([0.8, 0.5, 0.35]) == [3]     # half the best before it, not the epoch before


def test_a_column_that_spans_decades_is_drawn_on_a_log_axis():
    """A discriminator loss that diverged in one run (0.5 to 3e7) would flatten every other run's
    curve on a linear axis; losses near one scale, and columns with negative values, stay linear."""
    from sdnet.reporting.curves import spans_decades

    assert spans_decades(np.array([0.5, 0.4, 3.2e7, np.nan]))
    assert not spans_decades(np.array([0.5, 0.4, 300.0]))
    assert not spans_decades(np.array([-10.8, 0.6, 8e3]))     # D's scores may be negative
    assert not spans_decades(np.array([np.nan]))
