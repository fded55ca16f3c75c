"""The experiment runner on the phantom at tiny size: every method, resume, report, bad input."""
import json
import os

import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.runner import Run, RunSpec, run_folder

TINY = dict(epochs=2, max_batches_per_epoch=2, max_unlabelled=24, patience=5)


@pytest.fixture
def cfg():
    return get_preset("tiny", **TINY)


@pytest.mark.parametrize("method", ["unet", "gan", "selftrain", "sdnet"])
def test_every_method_trains_and_is_evaluated(method, cfg, phantom_loader, tmp_path):
    spec = RunSpec(method, 0.06, 0)
    result = Run(spec, cfg, phantom_loader, run_folder(str(tmp_path), spec), image_every=1).execute()
    folder = run_folder(str(tmp_path), spec)
    assert len(result["volumes"]) == 30                       # 15 test subjects x ED, ES
    assert set(result["summary"]["original"]) == {"Dice", "MYO", "LV", "RV", "avg"}
    assert all(0 <= v[0] <= 1 for v in result["summary"]["standard"].values())
    phases = 2 if method == "selftrain" else 1
    assert result["epochs_trained"] == 2 * phases
    with open(os.path.join(folder, "training_log.csv")) as f:
        assert len(f.read().strip().splitlines()) == 1 + 2 * phases
    assert os.listdir(os.path.join(folder, "images"))
    assert not os.path.exists(os.path.join(folder, "checkpoint.npz"))
    iterations = result["optimizer_iterations"]
    assert iterations["supervised"] == 2 * 2 * phases
    if method == "sdnet":
        assert iterations == {"supervised": 4, "z_regressor": 8, "unsupervised": 4, "discriminator": 4}


def test_a_finished_run_is_skipped_not_retrained(cfg, phantom_loader, tmp_path):
    spec = RunSpec("unet", 0.06, 0)
    first = Run(spec, cfg, phantom_loader, run_folder(str(tmp_path), spec)).execute()
    mtime = os.path.getmtime(os.path.join(run_folder(str(tmp_path), spec), "result.json"))
    again = Run(spec, cfg, phantom_loader, run_folder(str(tmp_path), spec)).execute()
    assert again == json.loads(json.dumps(first))
    assert os.path.getmtime(os.path.join(run_folder(str(tmp_path), spec), "result.json")) == mtime


@pytest.mark.parametrize("method", ["sdnet", "selftrain"])
def test_resume_after_interruption_matches_an_uninterrupted_run(method, phantom_loader, tmp_path):
    cfg = get_preset("tiny", **{**TINY, "epochs": 3})
    spec = RunSpec(method, 0.06, 0)
    straight = Run(spec, cfg, phantom_loader, str(tmp_path / "straight")).execute()
    interrupted = Run(spec, cfg, phantom_loader, str(tmp_path / "resumed"))
    assert interrupted.execute(stop_after_epochs=2) is None      # "killed" after two epochs
    assert os.path.exists(tmp_path / "resumed" / "checkpoint.npz")
    resumed = Run(spec, cfg, phantom_loader, str(tmp_path / "resumed")).execute()
    assert resumed["optimizer_iterations"] == straight["optimizer_iterations"]
    for a, b in zip(straight["volumes"], resumed["volumes"]):
        assert a["volume"] == b["volume"]
        for k in a["original"]:
            assert a["original"][k] == pytest.approx(b["original"][k], abs=1e-6)
    log_a = np.genfromtxt(tmp_path / "straight" / "training_log.csv", delimiter=",", names=True)
    log_b = np.genfromtxt(tmp_path / "resumed" / "training_log.csv", delimiter=",", names=True)
    np.testing.assert_allclose(log_a["val_dice"], log_b["val_dice"], atol=1e-6)
