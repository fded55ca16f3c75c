"""Keras-2 rotation augmentation and the seeded, resumable batch streams."""
import numpy as np

from sdnet.data.augment import Rotation, rotate
from sdnet.data.streams import ArrayStream


def test_rotation_by_zero_is_identity_and_by_180_flips_about_the_keras2_centre():
    a = np.random.default_rng(0).uniform(size=(8, 8, 1))
    np.testing.assert_allclose(rotate(a, 0.0), a, atol=1e-12)
    # Keras 2 rotated about (H/2 + 0.5, W/2 + 0.5) = (4.5, 4.5), one pixel off the grid centre
    # (3.5, 3.5): output (i, j) reads input (9 - i, 9 - j)
    np.testing.assert_allclose(rotate(a, 180.0)[2:, 2:], a[::-1, ::-1][:6, :6], atol=1e-6)


def test_image_and_mask_share_the_rotation():
    x = np.zeros((2, 16, 16, 1))
    x[:, 4:8, 3:12] = 1
    augment = Rotation(90.0, orders=(1, 1))
    xi, xm = augment((x, x.copy()), np.random.default_rng(3))
    np.testing.assert_allclose(xi, xm)
    assert not np.allclose(xi, x)


def test_stream_is_seeded_and_resumable():
    arrays = [np.arange(10)[:, None], np.arange(10)[:, None] * 2]
    a = ArrayStream(arrays, 4, seed=5)
    sizes = [len(next(a)[0]) for _ in range(3)]
    assert sizes == [4, 4, 2]                        # short last batch, as Keras 2 iterators
    state = a.state()
    expected = [next(a)[0].tolist() for _ in range(4)]
    b = ArrayStream(arrays, 4, seed=99)
    b.load_state(state)
    assert [next(b)[0].tolist() for _ in range(4)] == expected
    x, y = next(ArrayStream(arrays, 3, seed=1))
    np.testing.assert_array_equal(y, 2 * x)


def test_full_batches_complete_the_pass_from_the_next_permutation():
    stream = ArrayStream([np.arange(10)[:, None]], 4, seed=5, full_batches=True)
    batches = [next(stream).ravel().tolist() for _ in range(5)]
    assert all(len(b) == 4 for b in batches)
    assert sorted(sum(batches[:2], []) + batches[2][:2]) == list(range(10))   # first pass complete
