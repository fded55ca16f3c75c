"""`Data`: selections by subject and frame."""
import numpy as np
import pytest

from sdnet.data import Data, DataError


def test_empty_selection_is_an_error():
    data = Data(np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4, 3)), np.array([1, 1]))
    with pytest.raises(DataError, match="no images"):
        data.select_subjects([2]).require_nonempty("subject 2")
    with pytest.raises(DataError, match="cannot sample 3"):
        data.sample_subjects(3, seed=1)


def test_subjects_frames_and_selections():
    images = np.arange(6, dtype=np.float32)[:, None, None, None] * np.ones((6, 4, 4, 1), np.float32)
    data = Data(images, np.zeros((6, 4, 4, 3)), np.array([1, 1, 2, 2, 3, 3]),
                frame=np.array(["a", "a", "b", "c", "d", "d"]))
    assert data.subjects() == [1, 2, 3] and data.num_subjects == 3
    assert data.frames() == ["a", "b", "c", "d"]
    assert data.select_subjects([3, 1]).images[:, 0, 0, 0].tolist() == [4, 5, 0, 1]
    assert data.without_subjects([2]).subjects() == [1, 3]
    assert data.sample_subjects(2, seed=0).num_subjects == 2
    assert data.sample_per_subject(1, seed=0).size() == 3
    assert data.merge(data).size() == 12
    assert [name for name, _, _ in data.by_frame()] == ["a", "b", "c", "d"]
    assert data.hide_masks().masks.shape == (6, 4, 4, 1) and not data.hide_masks().masks.any()
    assert data.with_modality("MR").size() == 6
    with pytest.raises(DataError, match="no images of modality 'CT'"):
        data.with_modality("CT")


def test_subject_draw_is_the_originals_legacy_numpy_draw():
    data = Data(np.zeros((10, 2, 2, 1)), np.zeros((10, 2, 2, 1)), np.arange(10))
    np.random.seed(4)
    expected = np.random.choice(list(range(10)), size=3, replace=False)
    assert data.sample_subjects(3, seed=4).subjects() == sorted(expected.tolist())
