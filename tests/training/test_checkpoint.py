"""Checkpoints: complete or absent, and a clear message when one is damaged."""
import os

import numpy as np
import pytest

from sdnet.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def test_round_trip_and_absence(tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    assert load_checkpoint(path) is None
    save_checkpoint(path, {"v0000": np.arange(3.0)}, {"epoch": 2, "streams": {"a": [1, 2]}})
    arrays, meta = load_checkpoint(path)
    np.testing.assert_array_equal(arrays["v0000"], [0, 1, 2])
    assert meta == {"epoch": 2, "streams": {"a": [1, 2]}}
    assert os.listdir(tmp_path) == ["checkpoint.npz"]           # no temporary file left


@pytest.mark.parametrize("damage", [b"not a zip file", None])
def test_a_damaged_checkpoint_names_the_file_and_what_to_do(tmp_path, damage):
    path = str(tmp_path / "checkpoint.npz")
    save_checkpoint(path, {"v0000": np.arange(1000.0)}, {"epoch": 1})
    blob = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(damage if damage is not None else blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match=f"{path}: the checkpoint is unreadable .* Delete it to restart"):
        load_checkpoint(path)


def test_a_failed_write_leaves_the_previous_checkpoint(tmp_path):
    path = str(tmp_path / "checkpoint.npz")
    save_checkpoint(path, {"v0000": np.zeros(2)}, {"epoch": 1})
    with pytest.raises(TypeError):
        save_checkpoint(path, {"v0000": np.zeros(2)}, {"epoch": object()})   # not JSON: fails mid-write
    assert load_checkpoint(path)[1] == {"epoch": 1}
    assert os.listdir(tmp_path) == ["checkpoint.npz"]
