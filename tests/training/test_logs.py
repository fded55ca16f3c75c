"""The training log takes its columns from what the method logs."""
import csv

from sdnet.training.logs import TrainingLog


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_columns_come_from_the_logged_values_and_a_resume_drops_later_rows(tmp_path):
    log = TrainingLog(str(tmp_path), "run", epochs_per_phase=5)
    log.write(0, 0, {"val_dice": 0.1, "loss_a": 1.0})
    log.write(0, 1, {"val_dice": 0.2, "loss_a": 0.9, "new_loss": 3.0})      # a new column appears
    log.write(1, 0, {"val_dice": 0.3})
    rows = read(tmp_path / "training_log.csv")
    assert list(rows[0]) == ["phase", "epoch", "val_dice", "loss_a", "new_loss"]
    assert [r["new_loss"] for r in rows] == ["", "3.0", ""]
    log.write(0, 1, {"val_dice": 0.25, "loss_a": 0.8})      # resumed from the checkpoint of epoch 0
    rows = read(tmp_path / "training_log.csv")
    assert [(r["phase"], r["epoch"], r["val_dice"]) for r in rows] == [("0", "0", "0.1"), ("0", "1", "0.25")]


def test_a_loss_far_above_its_earlier_epochs_is_warned_about(tmp_path, caplog):
    """The faithful SDNet's D_M loss on subject 6: about 0.5 for 17 epochs, then 3.2e7. A loss
    not watched (a diagnostic) or one that merely doubles is not warned about."""
    log = TrainingLog(str(tmp_path), "run", epochs_per_phase=40)
    for epoch, dis in enumerate((0.52, 0.48, 0.55, 1.1)):
        log.write(0, epoch, {"dis_M": dis, "area_ratio_RV": 0.001}, losses=("dis_M",))
    log.write(0, 4, {"dis_M": 3.2e7, "area_ratio_RV": 2.0}, losses=("dis_M",))
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "run epoch 5: dis_M = 3.2e+07" in warned[0] and "diverged" in warned[0]
