import numpy as np
import keras
import pytest
from keras import ops

from sdnet.nn.layers import ChannelSlice, FiLM, KLDivergence, Rounding, Sampling, SpectralPenalty


def gradient(fn, x):
    """d sum(fn(x) * w) / dx for a fixed random w, on any backend."""
    w = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = tf.reduce_sum(fn(xt) * w)
        return tape.gradient(y, xt).numpy(), w
    if backend == "jax":
        import jax
        return np.asarray(jax.grad(lambda v: (fn(v) * w).sum())(x)), w
    import torch
    xt = torch.tensor(x, requires_grad=True)
    (fn(xt) * torch.tensor(w)).sum().backward()
    return xt.grad.numpy(), w


def test_rounding_forward_is_numpy_round_half_to_even():
    x = np.array([[0.5, 1.5, 2.5, 0.49, 0.51, -0.5]], "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(Rounding()(x)), np.round(x))


def test_rounding_gradient_is_the_incoming_gradient():
    x = np.random.default_rng(0).uniform(size=(2, 4, 4, 3)).astype("float32")
    grad, w = gradient(Rounding(), x)
    np.testing.assert_allclose(grad, w, rtol=1e-6)


def test_film_against_numpy():
    rng = np.random.default_rng(0)
    x, g, b = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    out = ops.convert_to_numpy(FiLM()([x.astype("float32"), g.astype("float32"), b.astype("float32")]))
    np.testing.assert_allclose(out, x * g[:, None, None, :] + b[:, None, None, :], rtol=1e-5, atol=1e-6)


def test_kl_against_numpy():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(4, 8)).astype("float32"), rng.normal(size=(4, 8)).astype("float32")
    expected = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1, keepdims=True)
    np.testing.assert_allclose(ops.convert_to_numpy(KLDivergence()([mean, log_var])), expected, rtol=1e-5)
    assert np.allclose(ops.convert_to_numpy(KLDivergence()([np.zeros((2, 3), "float32")] * 2)), 0)


def test_sampling_has_the_requested_moments():
    mean = np.full((20000, 2), [1.0, -2.0], "float32")
    log_var = np.full((20000, 2), [0.0, np.log(4.0)], "float32")
    z = ops.convert_to_numpy(Sampling(seed=3)([mean, log_var]))
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(0), [1.0, 2.0], atol=0.05)


def test_channel_slice():
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(ops.convert_to_numpy(ChannelSlice(1, 3)(x)), x[..., 1:3])


def test_spectral_penalty_against_numpy():
    kernel = np.random.default_rng(0).normal(size=(4, 4, 3, 5)).astype("float32")
    reg = SpectralPenalty(dim=48, alpha=10.0, seed=2)
    w, u = kernel.reshape(-1, 5), reg.u0.astype(np.float64)
    for _ in range(3):
        v = w.T @ u
        v /= np.linalg.norm(v)
        u = w @ v
        u /= np.linalg.norm(u)
    sigma = float((u.T @ w @ v).item())
    expected = 10.0 * np.mean(np.abs(w / sigma - w))
    assert float(ops.convert_to_numpy(reg(kernel))) == pytest.approx(expected, rel=1e-4)
    # a power-iteration estimate never exceeds the largest singular value
    assert 0 < sigma <= np.linalg.svd(w, compute_uv=False)[0] + 1e-6


def test_spectral_penalty_round_trips_its_config():
    reg = SpectralPenalty(dim=16, alpha=3.0, seed=5)
    again = SpectralPenalty(**reg.get_config())
    np.testing.assert_array_equal(again.u0, reg.u0)


@pytest.mark.parametrize("shape", [(4, 8), (2, 3, 3, 2)])
def test_batch_norm_feeds_the_moving_variance_the_unbiased_variance_as_keras2(shape):
    """Keras 2.1.6: normalise with the biased batch variance, update the moving variance with
    variance * n / (n - 1 - epsilon), n values per channel."""
    from sdnet.nn.layers import Keras2BatchNormalization

    x = np.random.default_rng(0).normal(2.0, 3.0, size=shape).astype("float32")
    layer = Keras2BatchNormalization()
    out = ops.convert_to_numpy(layer(x, training=True))
    axes = tuple(range(len(shape) - 1))
    n = np.prod([shape[a] for a in axes])
    mean, biased = x.mean(axes), x.var(axes)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(biased + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_variance),
                               0.99 + 0.01 * biased * n / (n - 1 - 1e-3), rtol=1e-5)
    inference = ops.convert_to_numpy(layer(x, training=False))       # moving statistics, no update
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), 0.01 * mean, rtol=1e-5)
    assert not np.allclose(inference, out)
