"""Replaying an epoch from a kept checkpoint: unchanged, it repeats the run's logged epoch to the
last digit (same batches, draws and state); with a setting changed, it does not."""
import os
import shutil

import pytest

from sdnet.config import get_preset
from sdnet.reporting.replay import replay
from sdnet.training.run import Run, RunSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_and_checkpoint(phantom_loader, tmp_path_factory):
    """A Mean Teacher run (noise draws and an EMA teacher: state a replay must restore) interrupted
    after its first epoch, the checkpoint of that epoch kept, then trained on to its end."""
    cfg = get_preset("tiny", epochs=2, batches_per_epoch=2, max_unlabelled=24, patience=5)
    spec, folder = RunSpec("mean_teacher", 0.06, 0), str(tmp_path_factory.mktemp("run"))
    assert Run(spec, cfg, phantom_loader, folder).execute(stop_after_epochs=1) is None
    kept = os.path.join(str(tmp_path_factory.mktemp("kept")), "epoch1.npz")
    shutil.copy(os.path.join(folder, "checkpoint.npz"), kept)
    Run(spec, cfg, phantom_loader, folder).execute()
    return folder, kept


def test_an_unchanged_replay_repeats_the_logged_epoch_exactly(run_and_checkpoint, phantom_loader, tmp_path):
    folder, kept = run_and_checkpoint
    (phase, epoch, logged, replayed), = replay(folder, kept, str(tmp_path / "replay"), loader=phantom_loader)
    assert (phase, epoch) == (0, 1)
    for key in ("val_dice", "supervised_Mask", "consistency"):
        assert replayed[key] == logged[key], key


def test_a_changed_setting_changes_the_replayed_epoch(run_and_checkpoint, phantom_loader, tmp_path):
    folder, kept = run_and_checkpoint
    (_, _, logged, replayed), = replay(folder, kept, str(tmp_path / "replay"), {"learning_rate": 0.1},
                                       loader=phantom_loader)
    assert replayed["supervised_Mask"] != logged["supervised_Mask"]


def test_a_replay_refuses_a_folder_in_use_and_a_missing_checkpoint(run_and_checkpoint, tmp_path):
    folder, kept = run_and_checkpoint
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(ValueError, match="not empty; give a new folder"):
        replay(folder, kept, str(tmp_path / "used"))
    with pytest.raises(ValueError, match="no such checkpoint"):
        replay(folder, str(tmp_path / "none.npz"), str(tmp_path / "out"))
