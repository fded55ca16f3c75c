"""Numpy input pipeline: endless, seeded, resumable batch streams (no TensorFlow needed).

A stream walks a fresh permutation of its arrays every epoch, as Keras 2's NumpyArrayIterator
did (the last batch of a pass may be short), and applies one random rotation per sample to
all of the sample's arrays. With `full_batches` the last batch of a pass is completed from the
next permutation instead (no new batch shape, so no retracing of the compiled steps).
Its state (generator, permutation, position) goes into checkpoints; `names` say what each
array is (the training loop's Batch fields).
"""
import numpy as np

from sdnet.data.augment import Rotation


class ArrayStream:
    def __init__(self, arrays, batch_size, seed, augment: Rotation = None, full_batches=False, names=None):
        self.arrays = tuple(arrays)
        self.names = tuple(names) if names is not None else tuple(f"array{i}" for i in range(len(self.arrays)))
        n = len(self.arrays[0])
        if n == 0:
            raise ValueError("cannot stream an empty array")
        if any(len(a) != n for a in self.arrays):
            raise ValueError(f"arrays of a stream must have equal length, got {[len(a) for a in self.arrays]}")
        self.batch_size, self.augment, self.full_batches = batch_size, augment, full_batches
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(n)
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.position >= len(self.order):
            self.order = self.rng.permutation(len(self.order))
            self.position = 0
        chosen = self.order[self.position:self.position + self.batch_size]
        self.position += len(chosen)
        while self.full_batches and len(chosen) < self.batch_size:
            self.order = self.rng.permutation(len(self.order))
            self.position = min(self.batch_size - len(chosen), len(self.order))
            chosen = np.concatenate([chosen, self.order[:self.position]])
        batch = tuple(a[chosen] for a in self.arrays)
        if self.augment is not None:
            batch = self.augment(batch, self.rng)
        return batch if len(batch) > 1 else batch[0]

    def state(self):
        return {"rng": self.rng.bit_generator.state, "order": self.order.tolist(), "position": self.position}

    def load_state(self, state):
        self.rng.bit_generator.state = state["rng"]
        self.order = np.asarray(state["order"], dtype=np.int64)
        self.position = int(state["position"])
