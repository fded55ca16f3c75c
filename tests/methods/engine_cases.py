"""What the engine equality tests share (tests/methods/test_engine*.py, one file a large case so
that the test workers run them side by side): batches, a method trained by an executor chosen by
name (never through the configuration), the comparison of the two executors and its bounds, and
the mutations that the comparison must catch.

The bounds, measured on a 2-core AMD EPYC (docs/FIDELITY.md, "The compiled iteration"):

- JAX, and TensorFlow without XLA with Grappler's arithmetic optimiser off: the two executors
  agree to float rounding (JAX: 3e-7 of a variable's largest value at most; TensorFlow: every
  weight, optimiser moment, batch-norm statistic and pooled mask bit for bit). The bound is 1e-5
  of each variable's largest value, no additive slack.
- TensorFlow without XLA, Grappler as runs use it: its arithmetic optimiser rewrites the one large
  graph differently from the five small ones (the last bits of sums), and Adam, whose first steps
  are about lr times the sign of the gradient, turns those bits into whole steps where a gradient
  is zero but for rounding. Measured, not asserted here: see FIDELITY.
- TensorFlow with XLA: XLA fuses the one large program differently. Losses agree to 3e-7 and
  every variable to 4e-5 of its largest value (bound 1e-4), except the biases of the convolutions
  that feed batch norm, whose gradient is zero but for rounding: they, and the moving means of
  the batch norms they feed, are held to Adam's step bound (2 lr a step), and their optimiser
  moments (rounding noise, 1e-17 to 1e-8) are not compared.
- Under XLA's bounds, a variable that starts at zero (a batch norm's beta, a bias) is after STEPS
  steps itself only a few Adam steps large, and a last-bit difference in its gradient moves it by
  a fraction of a step, not of its value: its bound is 1e-4 of the largest Adam displacement
  (2 lr a step) where that is larger than its value. Measured once in CI with 2 xdist workers on an
  idle machine, cross pseudo-supervision (whose hard labels flip under last bits): a beta of
  largest value 5.3e-4 apart by 6.4e-8, inside this 1.2e-7 and outside 1e-4 of its value.
"""
import contextlib
import copy
import functools

import keras
import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.methods import build_method
from sdnet.methods.base import Batch
from sdnet.methods.engine import COMPILED_BACKENDS, CompiledIteration, SeparateIterations

EXECUTORS = {"separate": SeparateIterations, "compiled": CompiledIteration}
STEPS = 6            # the tiny preset's pool holds 8 masks and gains 2 an iteration: it wraps at the 5th
EXACT, XLA_BOUND = 1e-5, 1e-4

# TensorFlow compares without and with XLA (the latter under the `long` marker); JAX always compiles
XLA_MODES = ((False, pytest.param(True, marks=pytest.mark.long))
             if keras.backend.backend() == "tensorflow" else (False,))


def batches(method_name, cfg, count):
    rng = np.random.default_rng(0)
    size, structures = cfg.image_size, cfg.num_masks
    for _ in range(count):
        images = rng.uniform(-1, 1, (cfg.batch_size, size, size, 1)).astype("float32")
        masks = np.zeros((cfg.batch_size, size, size, structures), "float32")
        masks[:, 8:20, 8:20, 1] = 1
        masks[:, 6:22, 6:8, 0] = 1
        fields = {"images": images, "masks": masks}
        if method_name != "unet":
            fields.update(unlabelled=rng.uniform(-1, 1, images.shape).astype("float32"), real_masks=masks[::-1].copy(),
                          discriminator_images=rng.uniform(-1, 1, images.shape).astype("float32"))
        if method_name == "sdnet_lvv":
            fields.update(area_images=images[::-1].copy(), area_masks=masks)
        yield Batch(**fields)


def tiny(fake_masks, xla=False):
    return get_preset("tiny", run_eagerly=False, fake_masks=fake_masks, xla=xla)


@contextlib.contextmanager
def arithmetic_rewrites_off(xla):
    """TensorFlow without XLA: Grappler's arithmetic optimiser off while the executors run, the one
    graph optimisation that makes them differ (FIDELITY). Elsewhere nothing changes."""
    if keras.backend.backend() != "tensorflow" or xla:
        yield
        return
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"arithmetic_optimization": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"arithmetic_optimization": True})


# -- the mutations that the comparison must catch, applied to the compiled arm alone -------------------
def _discriminator_trainable_everywhere(method, runner):
    method.before_update = lambda trainer_name: setattr(method.discriminator, "trainable", True)


def _z_regressor_before_the_unsupervised_update(method, runner):
    method._unsupervised_updates = lambda images, rng: [method.train_z_regressor(images, rng),
                                                        method.train_unsupervised(images)]


def _z_from_another_stream(method, runner):
    draw, other = runner._draw, np.random.default_rng(99)
    runner._draw = lambda rng, kind, argument: draw(other if kind == "normal" else rng, kind, argument)


def _pool_draw_shifted(method, runner):
    draw, last = runner._draw, method.pool.size - 1
    runner._draw = lambda rng, kind, argument: (draw(rng, kind, argument) if kind == "normal"
                                                else np.minimum(draw(rng, kind, argument) + 1, last))


MUTATIONS = {"discriminator trainable in a generator-side update": _discriminator_trainable_everywhere,
             "two updates swapped": _z_regressor_before_the_unsupervised_update,
             "z drawn from another stream": _z_from_another_stream,
             "the pool's draw shifted by one place": _pool_draw_shifted}


@functools.cache     # an arm serves every test of its worker that asks for it: one compilation fewer
def trained(method_name, fake_masks, executor, steps, xla=False, mutation=None, snapshot_before=1):
    """`steps` iterations from one state through the executor named, and what a checkpoint holds
    before iteration `snapshot_before`: the state, the mask pool and the random generator."""
    cfg = tiny(fake_masks, xla)
    keras.utils.set_random_seed(5)
    method = build_method(method_name, cfg)
    if method_name == "sdnet_lvv":         # phase 1: the area update too
        method.phase, method.area_channel = 1, 1
    runner = EXECUTORS[executor](method)
    assert type(runner) is EXECUTORS[executor]
    if mutation is not None:
        MUTATIONS[mutation](method, runner)
    method.build_optimizers()
    method.on_epoch_start(0)               # as the training loop does before an epoch's first batch
    rng = np.random.default_rng(1)
    losses, snapshot = [], None
    for k, batch in enumerate(batches(method_name, cfg, steps)):
        if k == snapshot_before:
            runner.sync()
            pool = method.pool.state() if hasattr(method, "pool") else {}
            snapshot = method.get_state(), pool, copy.deepcopy(rng)
        losses.append(runner.step(batch, rng))
    runner.sync()
    return method, losses, snapshot


def resumed(method_name, fake_masks, snapshot, steps, start):
    """A new method and compiled iteration given the snapshot, as a resumed run builds them; the
    iterations from `start` on."""
    state, pool, rng = snapshot
    cfg = tiny(fake_masks)
    method = build_method(method_name, cfg)
    method.set_state(state)
    method.pool.load_state(pool)
    runner = CompiledIteration(method)
    losses = [runner.step(batch, rng) for batch in list(batches(method_name, cfg, steps))[start:]]
    runner.sync()
    return method, losses


def bias_fed_to_batch_norm(method):
    """{id of variable: why its own bound} for the biases of the layers whose output goes straight
    into batch norm (batch norm subtracts the batch mean: their gradient is zero but for rounding),
    the moving means of those batch norms (they follow the bias), and the biases' Adam moments."""
    special = {}
    for network in method.networks.values():
        for layer in network.layers:
            if not isinstance(layer, keras.layers.BatchNormalization):
                continue
            parent = layer._inbound_nodes[0].arguments.keras_tensors[0]._keras_history.operation
            if getattr(parent, "bias", None) is not None:
                special[id(parent.bias)] = special[id(layer.moving_mean)] = "adam step"
    for trainer in method.trainers.values():
        optimizer = trainer.optimizer
        for variable, momentum, velocity in zip(optimizer._trainable_variables, optimizer._momentums,
                                                optimizer._velocities):
            if id(variable) in special:
                special[id(momentum)] = special[id(velocity)] = "rounding noise"
    return special


def _variables_of(state):
    """A method's state less its mask pool (compared on its own)."""
    return [a for key, a in state.items() if not key.startswith("pool_")]


def assert_executors_agree(method_name, fake_masks, xla=False, mutation=None, loss_rtol=EXACT, last_bits=False):
    """From one state, STEPS iterations through the separate calls and through the compiled
    iteration give the same losses, state and mask pool, within the bounds of this module's
    docstring; `mutation` (a key of MUTATIONS) is applied to the compiled arm. For a method whose
    loss is discontinuous in the last bits (hard pseudo-labels): `loss_rtol`, the losses' bound,
    and `last_bits`, the variables held to XLA's bounds (a last-bit difference, once there, is
    amplified as XLA's is)."""
    if keras.backend.backend() not in COMPILED_BACKENDS:
        pytest.skip(f"no compiled iteration on {keras.backend.backend()}")
    cfg = tiny(fake_masks, xla)
    with arithmetic_rewrites_off(xla):
        separate, separate_losses, _ = trained(method_name, fake_masks, "separate", STEPS, xla)
        compiled, compiled_losses, _ = trained(method_name, fake_masks, "compiled", STEPS, xla, mutation)

    for step, (a, b) in enumerate(zip(separate_losses, compiled_losses)):
        assert a.keys() == b.keys()
        np.testing.assert_allclose([b[k] for k in a], [a[k] for k in a], rtol=loss_rtol, err_msg=f"losses, step {step}")
    special = bias_fed_to_batch_norm(separate) if xla or last_bits else {}
    adam_bound = 2 * cfg.learning_rate * STEPS
    variables = separate.state_variables()
    expected, state = (_variables_of(method.get_state()) for method in (separate, compiled))
    assert [a.shape for a in expected] == [b.shape for b in state], "the state's variables differ"
    for variable, a, b in zip(variables, expected, state):
        why = special.get(id(variable))
        if why == "rounding noise":
            continue
        if why == "adam step":
            bound = adam_bound
        elif xla or last_bits:
            bound = XLA_BOUND * max(np.abs(a).max(), adam_bound)
        else:
            bound = EXACT * np.abs(a).max()
        difference = np.abs(a.astype("float64") - b).max()
        assert difference <= bound, f"{variable.path}: differs by {difference:.3g}, bound {bound:.3g}"
    if hasattr(separate, "pool"):
        assert STEPS * cfg.batch_size > cfg.pool_size          # the pool has wrapped around
        assert separate.pool.held == compiled.pool.held == cfg.pool_size
        np.testing.assert_allclose(np.asarray(compiled.pool.masks), separate.pool.masks,
                                   atol=XLA_BOUND if xla else EXACT, err_msg="mask pool")
