"""Runs on the phantom at tiny size: every method trains and is evaluated, finished runs are
skipped, an interrupted run resumes to the numbers of an uninterrupted one. Each method trains
once for the module; tests that change a run work on a copy of its folder."""
import json
import os
import shutil

import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.io import read_json, write_json
from sdnet.methods.registry import compared_methods
from sdnet.reporting.plots import save_examples
from sdnet.training.run import Run, RunSpec
from sdnet.training.spec import run_path

TINY = dict(epochs=2, batches_per_epoch=2, max_unlabelled=24, patience=5)
pytestmark = pytest.mark.slow


@pytest.fixture
def cfg():
    return get_preset("tiny", **TINY)


@pytest.fixture(scope="module")
def finished_run(phantom_loader, tmp_path_factory):
    """method -> (spec, folder, result) of its finished run, trained on first request."""
    runs = {}

    def get(method):
        if method not in runs:
            spec = RunSpec(method, 0.06, 0)
            folder = run_path(str(tmp_path_factory.mktemp(method)), spec)
            runs[method] = spec, folder, Run(spec, get_preset("tiny", **TINY), phantom_loader, folder,
                                             image_every=1, image_writer=save_examples).execute()
        return runs[method]
    return get


def copy_of(folder, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    return str(copy)


@pytest.mark.parametrize("method", compared_methods())
def test_every_method_trains_and_is_evaluated(method, finished_run):
    spec, folder, result = finished_run(method)
    scores = result["volumes_by_weights"]["last"]
    assert len(scores["original"]) == 15 and len(scores["standard"]) == 30    # patients; their ED and ES frames
    assert set(result["summary_by_weights"]["last"]["original"]) == {"MYO", "LV", "RV", "avg", "mean"}
    assert set(result["summary_by_weights"]["last"]["standard"]) == {"MYO", "LV", "RV", "mean"}
    # equal budgets: every method makes 2 epochs x 2 labelled batches; self-training's two phases share them
    phases = 2 if method == "selftrain" else 1
    assert result["epochs_trained"] == 2
    assert result["optimizer_iterations"]["supervised"] == 4
    with open(os.path.join(folder, "training_log.csv")) as f:
        rows = f.read().strip().splitlines()
    assert len(rows) == 1 + 2
    assert [r.split(",")[0] for r in rows[1:]] == (["0", "1"] if phases == 2 else ["0", "0"])
    header = rows[0].split(",")
    assert {"val_dice", "supervised_Mask", "area_ratio_LV"} <= set(header)
    if method in ("gan", "sdnet"):
        assert {"adv_M", "dis_M", "D_real", "D_fake"} <= set(header)
    if method == "sdnet":
        assert {"rec_X", "KL", "rec_Z", "s0_occupancy"} <= set(header)
        assert result["optimizer_iterations"] == {"supervised": 4, "z_regressor": 8, "unsupervised": 4,
                                                  "discriminator": 4}
    assert os.listdir(os.path.join(folder, "images"))
    assert not os.path.exists(os.path.join(folder, "checkpoint.npz"))
    described = read_json(os.path.join(folder, "run.json"))
    assert described["spec"]["method"] == method and described["config"]["epochs"] == 2
    assert described["dataset"]["structures"] == ["MYO", "LV", "RV"]


def test_a_finished_run_is_skipped_not_retrained(cfg, phantom_loader, finished_run, tmp_path):
    spec, trained, first = finished_run("unet")
    folder = copy_of(trained, tmp_path)
    mtime = os.path.getmtime(os.path.join(folder, "result.json"))
    again = Run(spec, cfg, phantom_loader, folder).execute()
    assert again == json.loads(json.dumps(first))
    assert os.path.getmtime(os.path.join(folder, "result.json")) == mtime
    # a run recorded before run.json named the cardiac phase used every phase, a configuration
    # field added since then takes its default, and a data folder typed as a relative path is the
    # same folder: still this run
    description = read_json(os.path.join(folder, "run.json"))
    assert description["dataset"].pop("phase") == "all"
    del description["config"]["w_area"]
    description["dataset"]["root"] = os.path.relpath(description["dataset"]["root"])
    write_json(os.path.join(folder, "run.json"), description)
    assert Run(spec, cfg, phantom_loader, folder).execute() == again
    description["dataset"]["phase"] = "ED"
    write_json(os.path.join(folder, "run.json"), description)
    with pytest.raises(ValueError, match="dataset.phase"):
        Run(spec, cfg, phantom_loader, folder).execute()


def test_a_finished_run_of_another_configuration_is_never_reused(cfg, phantom_loader, finished_run, tmp_path):
    spec, trained, _ = finished_run("unet")
    folder = copy_of(trained, tmp_path)
    other = cfg.replace(learning_rate=5e-4, epochs=1)
    with pytest.raises(ValueError, match="holds another run .*config.learning_rate.*--force"):
        Run(spec, other, phantom_loader, folder).execute()
    result = Run(spec, other, phantom_loader, folder, force=True).execute()
    assert read_json(os.path.join(folder, "run.json"))["config"]["learning_rate"] == 5e-4
    assert result["epochs_trained"] == 1
    (aside,) = os.listdir(os.path.join(os.path.dirname(folder), ".replaced"))
    assert read_json(os.path.join(os.path.dirname(folder), ".replaced", aside, "run.json"))["config"]["learning_rate"] \
        == cfg.learning_rate


def test_a_checkpoint_copied_from_another_run_is_refused(cfg, phantom_loader, tmp_path):
    from sdnet.training.checkpoint import CheckpointError

    for seed in (1, 2):                       # both interrupted after an epoch
        assert Run(RunSpec("unet", 1.0, 0, seed=seed), cfg.replace(seed=seed), phantom_loader,
                   str(tmp_path / f"seed{seed}")).execute(stop_after_epochs=1) is None
    shutil.copy(tmp_path / "seed2" / "checkpoint.npz", tmp_path / "seed1" / "checkpoint.npz")
    with pytest.raises(CheckpointError, match="belongs to another run .*seed 2.*differing: name, seed"):
        Run(RunSpec("unet", 1.0, 0, seed=1), cfg, phantom_loader, str(tmp_path / "seed1")).execute()


@pytest.mark.parametrize("method", ["sdnet", "selftrain"])     # self-training: resumed at its second phase
def test_resume_after_interruption_matches_an_uninterrupted_run(method, cfg, phantom_loader, finished_run, tmp_path):
    spec, straight_folder, straight = finished_run(method)
    interrupted = Run(spec, cfg, phantom_loader, str(tmp_path / "resumed"), image_every=1,
                      image_writer=save_examples)                 # as the straight run
    assert interrupted.execute(stop_after_epochs=1) is None      # "killed" after one epoch
    assert os.path.exists(tmp_path / "resumed" / "checkpoint.npz")
    resumed = Run(spec, cfg, phantom_loader, str(tmp_path / "resumed"), image_every=1,
                  image_writer=save_examples).execute()
    assert resumed["optimizer_iterations"] == straight["optimizer_iterations"]
    for protocol, rows in straight["volumes_by_weights"]["last"].items():
        for a, b in zip(rows, resumed["volumes_by_weights"]["last"][protocol]):
            assert a["volume"] == b["volume"]
            for k in a["scores"]:
                assert a["scores"][k] == pytest.approx(b["scores"][k], abs=1e-6)
    log_a = np.genfromtxt(os.path.join(straight_folder, "training_log.csv"), delimiter=",", names=True)
    log_b = np.genfromtxt(tmp_path / "resumed" / "training_log.csv", delimiter=",", names=True)
    np.testing.assert_allclose(log_a["val_dice"], log_b["val_dice"], atol=1e-6)


def test_best_weights_of_the_last_epoch_are_scored_once(cfg, phantom_loader, tmp_path, monkeypatch):
    import sdnet.evaluation

    calls = []
    evaluate = sdnet.evaluation.evaluate
    monkeypatch.setattr(sdnet.evaluation, "evaluate", lambda *a, **k: calls.append(1) or evaluate(*a, **k))
    spec = RunSpec("unet", 0.06, 0)
    result = Run(spec, cfg.replace(epochs=1), phantom_loader, run_path(str(tmp_path), spec)).execute()
    assert len(calls) == 1                      # one epoch: it is both the best and the last
    assert result["summary_by_weights"]["best"] == result["summary_by_weights"]["last"]



def test_recomputed_batchnorm_statistics_are_those_saved_and_scored(cfg, phantom_loader, tmp_path, monkeypatch):
    import sdnet.training.loop
    from sdnet.inference import load_model
    from sdnet.nn.precise_bn import batchnorm_layers, recalibrate_batchnorm

    recomputed = []

    def recording(net, images, batch_size, forward):
        recalibrate_batchnorm(net, images, batch_size, forward)
        recomputed.append((len(images), [np.asarray(layer.moving_mean) for layer in batchnorm_layers(net)]))

    monkeypatch.setattr(sdnet.training.loop, "recalibrate_batchnorm", recording)
    spec = RunSpec("unet", 0.06, 0)          # any method: the option acts on its segmentation network
    folder = run_path(str(tmp_path), spec)
    Run(spec, cfg.replace(epochs=1, batchnorm_statistics="recomputed"), phantom_loader, folder).execute()
    assert len(recomputed) == 1                                # before the epoch's validation
    count, means = recomputed[-1]
    assert 0 < count <= 1000
    saved = load_model(folder, "last").method.mask_network()
    for mean, layer in zip(means, batchnorm_layers(saved)):
        np.testing.assert_allclose(mean, np.asarray(layer.moving_mean), rtol=1e-6, atol=1e-7)


def test_the_batchnorm_report_scores_a_run_with_moving_training_and_recomputed_statistics(finished_run):
    from sdnet.reporting.batchnorm import batchnorm_modes

    _, folder, _ = finished_run("sdnet")
    r = batchnorm_modes(folder, "last", test=True)
    assert all(0 <= r[mode] <= 1 for mode in ("inference", "training", "recomputed"))
    assert set(r["test_moving"]) == set(r["test_recomputed"]) == {"mean", "avg"}
    assert {"D_real", "D_inference", "D_training"} <= set(r)


def test_the_gradient_report_splits_a_runs_labelled_slices_by_whether_they_hold_a_structure(finished_run, capsys):
    from sdnet.reporting.gradients import main, slice_gradients

    _, folder, _ = finished_run("unet")
    g = slice_gradients(folder, "last")
    assert len(g["structure"]) > 0 and len(g["empty"]) == len(g["foreground_mass_empty"])
    assert np.all(np.isfinite(g["structure"])) and np.all(g["structure"] > 0)
    assert main([folder, "--weights", "last"]) == 0
    assert "| slices without / with a structure |" in capsys.readouterr().out
    assert main([folder + "_missing"]) == 2
    assert "error:" in capsys.readouterr().err
