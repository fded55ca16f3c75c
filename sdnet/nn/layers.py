"""Custom layers of SDNet, registered so that models save to `.keras` with safe_mode on.

Backend-neutral: only `keras.ops` and `keras.random`.
"""
import numpy as np
import keras
from keras import ops

PACKAGE = "sdnet"


@keras.saving.register_keras_serializable(package=PACKAGE)
class Rounding(keras.layers.Layer):
    """Binarises the anatomy factor: forward np.round (half to even), backward identity.

    The original used a tf.py_func with an overridden gradient; `x + stop_gradient(round(x) - x)`
    is the same straight-through estimator without a Python call in the graph.
    """

    def call(self, x):
        return x + ops.stop_gradient(ops.round(x) - x)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class FiLM(keras.layers.Layer):
    """Feature-wise linear modulation: x * gamma + beta, gamma and beta broadcast over H and W."""

    def call(self, inputs):
        x, gamma, beta = inputs
        gamma = ops.expand_dims(ops.expand_dims(gamma, 1), 1)
        beta = ops.expand_dims(ops.expand_dims(beta, 1), 1)
        return x * gamma + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(keras.layers.Layer):
    """Reparameterisation trick: z = mean + exp(logvar / 2) * eps, eps ~ N(0, I).

    It samples in inference too, as the original's Lambda layer did.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class KLDivergence(keras.layers.Layer):
    """KL(q(z|x) || N(0, I)) per sample, shape (batch, 1): -0.5 sum(1 + logvar - mean^2 - exp(logvar))."""

    def call(self, inputs):
        mean, log_var = inputs
        kl = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        return ops.reshape(kl, (-1, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class ChannelSlice(keras.layers.Layer):
    """Keeps channels [start, stop) of the last axis (the segmentor drops its background channel)."""

    def __init__(self, start, stop, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = int(start), int(stop)

    def call(self, x):
        return x[..., self.start:self.stop]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.stop - self.start,)

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras2BatchNormalization(keras.layers.BatchNormalization):
    """Batch normalisation whose moving variance follows Keras 2.1.6: the batch's variance, as
    used to normalise, is biased (divided by n); the moving average is fed the unbiased one,
    variance * n / (n - 1 - epsilon), n the number of values per channel in the batch. At
    batch 4 the modality encoder's dense batch norm has n = 4, and Keras 3's biased update
    would hold a moving variance 25 % lower, which changes z at inference."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or self.renorm or mask is not None:
            return super().call(inputs, training=training, mask=mask)
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        mean, variance = self._moments(x, None)
        n = 1
        for axis in self._reduction_axes:
            n = n * ops.shape(x)[axis]
        n = ops.cast(n, x.dtype)
        unbiased = variance * n / (n - 1.0 - self.epsilon)
        self.moving_mean.assign(ops.cast(self.moving_mean, x.dtype) * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(ops.cast(self.moving_variance, x.dtype) * self.momentum
                                    + unbiased * (1.0 - self.momentum))
        gamma = ops.cast(self.gamma, x.dtype) if self.scale else None
        beta = ops.cast(self.beta, x.dtype) if self.center else None
        outputs = ops.batch_normalization(x, mean=mean, variance=variance, axis=self.axis, offset=beta,
                                          scale=gamma, epsilon=self.epsilon)
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpectralPenalty(keras.regularizers.Regularizer):
    """The original discriminator's "spectral" regulariser (layers/spectralnorm.py).

    Not spectral normalisation: it estimates the largest singular value sigma of the kernel,
    reshaped to (-1, out_channels), with 3 power iterations from a fixed random vector u, and
    returns alpha * mean|stop_gradient(W / sigma) - W|, which pulls W towards W / sigma.
    `dim` is the row count of the reshaped kernel (fan-in), as in the original.
    """

    def __init__(self, dim, alpha=10.0, seed=0, iterations=3):
        self.dim, self.alpha, self.seed, self.iterations = int(dim), float(alpha), int(seed), int(iterations)
        # The original drew u once (np.random.random * 2 - 1) when the layer was built.
        self.u0 = np.random.RandomState(self.seed).uniform(-1.0, 1.0, (self.dim, 1)).astype("float32")

    def __call__(self, kernel):
        w = ops.reshape(kernel, (-1, ops.shape(kernel)[-1]))
        u = ops.convert_to_tensor(self.u0, dtype=w.dtype)
        v = None
        for _ in range(self.iterations):
            wtu = ops.matmul(ops.transpose(w), u)
            v = wtu / ops.sqrt(ops.sum(ops.square(wtu)))
            wv = ops.matmul(w, v)
            u = wv / ops.sqrt(ops.sum(ops.square(wv)))
        sigma = ops.matmul(ops.matmul(ops.transpose(u), w), v)
        target = ops.stop_gradient(w / sigma)
        return self.alpha * ops.mean(ops.abs(target - w))

    def get_config(self):
        return {"dim": self.dim, "alpha": self.alpha, "seed": self.seed, "iterations": self.iterations}
