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


def recalibrate_batchnorm(net, images, batch_size) -> int:
    """Set the moving statistics of every batch-norm layer of `net` to the mean over the full
    batches of `images` of each batch's mean and variance (as that layer's training-mode update
    would feed them to its moving average). Returns the number of batches used."""
    layers = batchnorm_layers(net)
    batches = len(images) // batch_size
    if not layers or batches == 0:
        return 0
    state = net.non_trainable_variables
    position = {id(v): i for i, v in enumerate(state)}
    slots = [(position[id(layer.moving_mean)], position[id(layer.moving_variance)], float(layer.momentum))
             for layer in layers]
    weights = [v.value for v in net.trainable_variables]
    start_values = [v.value for v in state]
    old = {i: np.asarray(keras.ops.convert_to_numpy(start_values[i]), np.float64) for m, v, _ in slots for i in (m, v)}
    sums = [[np.zeros_like(old[m]), np.zeros_like(old[v])] for m, v, _ in slots]
    for b in range(batches):
        batch = keras.ops.convert_to_tensor(images[b * batch_size:(b + 1) * batch_size])
        _, updated = net.stateless_call(weights, start_values, batch, training=True)
        for (m, v, momentum), acc in zip(slots, sums):
            for k, index in enumerate((m, v)):   # moving = old * momentum + batch * (1 - momentum)
                new = np.asarray(keras.ops.convert_to_numpy(updated[index]), np.float64)
                acc[k] += (new - old[index] * momentum) / (1.0 - momentum)
    for (m, v, _), (mean_sum, var_sum) in zip(slots, sums):
        state[m].assign((mean_sum / batches).astype(state[m].dtype))
        state[v].assign(np.maximum(var_sum / batches, 0.0).astype(state[v].dtype))
    return batches
