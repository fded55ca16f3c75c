"""The pool of generated masks D_M draws its fakes from (the original's get_fake)."""
import numpy as np

from sdnet.methods.adversarial import MaskPool
from sdnet.methods.engine import SeparateCalls


def test_pool_keeps_the_last_masks_and_draws_without_replacement(rng):
    pool, ops = MaskPool(size=5, mask_shape=(1,)), SeparateCalls(method=None)
    drawn = np.asarray(pool.add_and_sample(ops, rng, np.arange(4, dtype="float32")[:, None]))
    assert sorted(drawn.ravel().tolist()) == [0, 1, 2, 3] and pool.held == 4
    drawn = np.asarray(pool.add_and_sample(ops, rng, np.arange(4, 8, dtype="float32")[:3, None]))
    assert pool.masks.ravel().tolist() == [2, 3, 4, 5, 6]          # the oldest two dropped
    assert len(set(drawn.ravel().tolist())) == 3 and set(drawn.ravel().tolist()) <= {2, 3, 4, 5, 6}


def test_pool_state_round_trip(rng):
    pool = MaskPool(size=3, mask_shape=(4, 4, 3))
    assert pool.state() == {}
    pool.add_and_sample(SeparateCalls(method=None), rng, np.ones((2, 4, 4, 3), "float32"))
    again = MaskPool(size=3, mask_shape=(4, 4, 3))
    again.load_state(pool.state())
    assert again.held == 2
    np.testing.assert_array_equal(again.masks, pool.masks)
