"""The loop's budget rules and its early projection of a run's duration."""
import logging
from types import SimpleNamespace

import pytest

from sdnet.config import get_preset
from sdnet.training.folder import RunFolder
from sdnet.training.loop import Trainer


def trainer(cfg, phases, tmp_path):
    method = SimpleNamespace(num_phases=lambda: phases)
    return Trainer(method, data=None, cfg=cfg, folder=RunFolder(str(tmp_path)), structures=("LV",), name="run")


@pytest.mark.parametrize("batches, phases, expected", [(25, 1, 6), (25, 2, 3), (0, 2, 6)])
def test_equal_budgets_share_the_epochs_among_phases(tmp_path, batches, phases, expected):
    cfg = get_preset("quick", batches_per_epoch=batches)
    assert trainer(cfg, phases, tmp_path).epochs_per_phase() == expected


def test_a_slow_run_on_a_cpu_is_announced_from_the_measured_pace(tmp_path, caplog, monkeypatch):
    from sdnet import hardware

    monkeypatch.setattr(hardware, "accelerator", lambda: None)
    t = trainer(get_preset("paper"), 1, tmp_path)
    with caplog.at_level(logging.INFO, logger="sdnet"):
        t._project(40.0, 300, {"phase": 0, "epoch": 0})
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "40.00 s per step, 200.0 min per epoch of 300 steps: up to 1666.7 h for the 500 epochs left on this CPU" in record.message
    caplog.clear()
    fast = trainer(get_preset("quick"), 1, tmp_path)
    with caplog.at_level(logging.INFO, logger="sdnet"):
        fast._project(0.1, 25, {"phase": 0, "epoch": 0})
    assert caplog.records[0].levelno == logging.INFO
