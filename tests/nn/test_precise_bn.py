"""Recomputed batch-norm statistics: the average of the batch statistics a training-mode pass
feeds each layer's moving average (the biased variance for Keras 3's layer, the unbiased one
for the original's)."""
import keras
import numpy as np
import pytest

from sdnet.nn.layers import Keras2BatchNormalization
from sdnet.nn.precise_bn import recalibrate_batchnorm


@pytest.mark.parametrize("layer, ddof", [(keras.layers.BatchNormalization, 0), (Keras2BatchNormalization, 1)])
def test_moving_statistics_become_the_mean_of_the_batch_statistics(layer, ddof, rng):
    x = keras.Input((3,))
    net = keras.Model(x, layer(name="bn")(keras.layers.Dense(3, name="dense")(x)))
    images = rng.normal(2.0, 3.0, (10, 3)).astype("float32")      # two full batches of 4; the rest unused
    assert recalibrate_batchnorm(net, images, 4) == 2
    numpy = keras.ops.convert_to_numpy
    h = numpy(net.get_layer("dense")(images))[:8].reshape(2, 4, 3)
    bn = net.get_layer("bn")
    np.testing.assert_allclose(numpy(bn.moving_mean), h.mean(axis=1).mean(axis=0), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(numpy(bn.moving_variance), h.var(axis=1, ddof=ddof).mean(axis=0), rtol=1e-3, atol=1e-3)
