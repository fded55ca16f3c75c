"""Chunked prediction: how the samples are cut changes nothing but the speed."""
import numpy as np
import pytest

from sdnet.methods.base import chunk_sizes, predict


@pytest.mark.parametrize("n, batch, expected", [(10, 16, [8, 2]), (16, 16, [16]), (33, 16, [16, 16, 1]),
                                                (7, 6, [6, 1]), (15, 16, [8, 4, 2, 1]), (0, 4, [])])
def test_chunks_are_full_batches_then_powers_of_two(n, batch, expected):
    assert chunk_sizes(n, batch) == expected


def test_prediction_does_not_depend_on_the_chunking(rng):
    import keras

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    model = keras.Model(inputs, [keras.layers.BatchNormalization()(x), keras.layers.GlobalAveragePooling2D()(x)])
    images = rng.normal(size=(11, 8, 8, 1)).astype("float32")
    whole = predict(model, images, batch_size=11)
    for batch in (16, 4, 1):
        for a, b in zip(whole, predict(model, images, batch_size=batch)):
            np.testing.assert_allclose(a, b, atol=1e-5)
