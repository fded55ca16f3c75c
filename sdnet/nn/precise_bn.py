"""Batch-norm statistics recomputed from data ("precise BN", Wu & Johnson 2021): every batch-norm
layer's moving mean and variance replaced by the average of the batch statistics that training-
mode forward passes over `images` compute, with the weights as they are.

Why: the moving averages (momentum 0.99) mix the statistics of networks that changed over the last
few hundred updates, and SDNet's shared encoder is updated by several trainers on differently
composed batches. When inference-mode outputs drift from training-mode ones (the one-labelled-
subject study, docs/results/sdnet_one_subject.md), recomputing the statistics tells whether the
moving averages, not the weights, are at fault. Not in the original code.
"""
from __future__ import annotations

import keras
import numpy as np


def batchnorm_layers(net) -> list:
    return [layer for layer in net._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, keras.layers.BatchNormalization)]


class TrainingModeForward(keras.Model):
    """`net` called with training=True (batch norm on each batch's own statistics) inside
    predict_on_batch, so the pass is traced and compiled once instead of run eagerly. Its batch
    norms update the moving statistics as in training: the caller restores or replaces them."""

    def __init__(self, net, jit_compile=False):
        super().__init__(name=f"{net.name}_training_mode")
        self.net = net
        self.jit_compile = jit_compile

    def call(self, images):
        return self.net(images, training=True)


def recalibrate_batchnorm(net, images, batch_size, forward=None) -> int:
    """Set the moving statistics of every batch-norm layer of `net` to the mean over the full
    batches of `images` of each batch's mean and variance (as that layer's training-mode update
    would feed them to its moving average). `forward`: a TrainingModeForward of `net` to reuse
    (a compiled pass; an eager one cost two thirds of a quick run). Returns the number of
    batches used."""
    layers = batchnorm_layers(net)
    batches = len(images) // batch_size
    if not layers or batches == 0:
        return 0
    forward = forward or TrainingModeForward(net)
    slots = [(layer.moving_mean, layer.moving_variance, float(layer.momentum)) for layer in layers]

    def moving():
        return [[np.asarray(keras.ops.convert_to_numpy(v.value), np.float64) for v in (mean, variance)]
                for mean, variance, _ in slots]

    before = moving()
    sums = [[np.zeros_like(mean), np.zeros_like(variance)] for mean, variance in before]
    for b in range(batches):
        forward.predict_on_batch(images[b * batch_size:(b + 1) * batch_size])   # updates the moving statistics
        after = moving()
        for (_, _, momentum), acc, old, new in zip(slots, sums, before, after):
            for k in (0, 1):                    # moving = old * momentum + batch * (1 - momentum)
                acc[k] += (new[k] - old[k] * momentum) / (1.0 - momentum)
        before = after
    for (mean, variance, _), (mean_sum, var_sum) in zip(slots, sums):
        mean.assign((mean_sum / batches).astype(mean.dtype))
        variance.assign(np.maximum(var_sum / batches, 0.0).astype(variance.dtype))
    return batches
