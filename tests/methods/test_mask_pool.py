"""The pool of generated masks D_M draws its fakes from (the original's get_fake)."""
import numpy as np

from sdnet.methods.adversarial import MaskPool


def test_pool_keeps_the_last_masks_and_draws_without_replacement(rng):
    pool = MaskPool(size=5)
    first = np.arange(4)[:, None]
    drawn = pool.add_and_sample(first, 4, rng)
    assert sorted(drawn.ravel().tolist()) == [0, 1, 2, 3]
    drawn = pool.add_and_sample(np.arange(4, 8)[:, None], 3, rng)
    assert pool.masks.ravel().tolist() == [3, 4, 5, 6, 7]          # the oldest three dropped
    assert len(set(drawn.ravel().tolist())) == 3 and set(drawn.ravel().tolist()) <= {3, 4, 5, 6, 7}


def test_pool_state_round_trip(rng):
    pool = MaskPool(size=3)
    assert pool.state() == {}
    pool.add_and_sample(np.ones((2, 4, 4, 3)), 2, rng)
    again = MaskPool(size=3)
    again.load_state(pool.state())
    np.testing.assert_array_equal(again.masks, pool.masks)
