"""The compiled iteration computes what the separate calls compute: from one state, N iterations
of each method through both executors give the same weights, optimiser moments, batch-norm
statistics, mask pool and losses (to float32 rounding). Run on TensorFlow and, in CI, on JAX.

Two kinds of numbers can differ by more than rounding, and the tolerance says so: the bias of a
convolution followed by batch norm has a gradient that is zero but for rounding, and Adam turns
that noise into steps of up to the learning rate (harmless: batch norm removes the bias); and on
TensorFlow, whose graph optimiser rewrites the one large graph differently from the five small
ones, SDNet's mean-absolute-error gradients (a sign), the rounding of s and batch means near zero
amplify last-bit differences: there it is compared after two iterations, at 5 % of each
variable's largest value (a wrong draw, pool position, order or frozen discriminator moves
the losses and weights by far more). On JAX every method agrees to 1e-4 after three."""
import copy
import functools

import keras
import numpy as np
import pytest

from sdnet.config import get_preset
from sdnet.methods import build_method
from sdnet.methods.base import Batch
from sdnet.methods.engine import CompiledIteration, iteration_runner


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


def tiny(fake_masks):
    return get_preset("tiny", run_eagerly=False, fake_masks=fake_masks)


@functools.cache     # the GAN's compiled run serves both tests below: one compilation fewer
def trained(method_name, fake_masks, executor, steps, snapshot_before=1):
    """`steps` iterations from one state, and what a checkpoint holds before iteration
    `snapshot_before`: the state, the mask pool and the random generator."""
    cfg = tiny(fake_masks)
    keras.utils.set_random_seed(5)
    method = build_method(method_name, cfg)
    if method_name == "sdnet_lvv":         # phase 1: the area update too
        method.phase, method.area_channel = 1, 1
    method.build_optimizers()
    runner = CompiledIteration(method) if executor == "compiled" else iteration_runner(method)
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


# SDNet-LVV runs every SDNet update and adds its own, so it stands for SDNet (with its
# "unsupervised" fake masks); the GAN takes its fake masks from the masks operation SDNet's
# "predicted" ones use, and shares SDNet's discriminator code. Each case costs two compilations of
# the whole iteration (minutes on a 2-core CPU).
@pytest.mark.parametrize("method_name, fake_masks", [("unet", "predicted"), ("gan", "predicted"),
                                                     ("sdnet_lvv", "unsupervised")])
def test_compiled_iterations_compute_what_the_separate_calls_compute(method_name, fake_masks):
    amplified = keras.backend.backend() == "tensorflow" and method_name.startswith("sdnet")
    cfg = tiny(fake_masks)
    steps = 2 if amplified else 3
    separate, separate_losses, _ = trained(method_name, fake_masks, "separate", steps)
    compiled, compiled_losses, _ = trained(method_name, fake_masks, "compiled", steps)

    for a, b in zip(separate_losses, compiled_losses):
        assert a.keys() == b.keys()
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-3)
    noise = 2 * cfg.learning_rate * steps
    variables = separate.state_variables()
    for variable, a, b in zip(variables, separate.get_state().values(), compiled.get_state().values()):
        scale = 5e-2 * np.abs(a).max() if amplified else 1e-4 * np.abs(a).max()
        assert np.abs(a - b).max() <= scale + noise, variable.path
    if method_name != "unet":
        assert separate.pool.held == compiled.pool.held == min(steps * cfg.batch_size, cfg.pool_size)
        np.testing.assert_allclose(separate.pool.masks, np.asarray(compiled.pool.masks), atol=1e-4)


def test_a_resumed_compiled_run_continues_identically():
    """The GAN: its compiled iteration holds a pool buffer and host draws, as SDNet's does, at half
    the compilation time. A new method and program given a checkpoint's state, pool and generator
    after one iteration compute the next two as the uninterrupted program did (the checkpoint
    files themselves, and every method's resumption, are tested in tests/training/test_run.py)."""
    straight, straight_losses, snapshot = trained("gan", "predicted", "compiled", 3)
    again, again_losses = resumed("gan", "predicted", snapshot, 3, start=1)
    for a, b in zip(straight_losses[1:], again_losses):
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-6)
    for variable, a, b in zip(straight.state_variables(), straight.get_state().values(), again.get_state().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=variable.path)
    assert again.pool.held == straight.pool.held
    np.testing.assert_allclose(np.asarray(again.pool.masks), np.asarray(straight.pool.masks), atol=1e-7)


def test_the_engine_setting_chooses_the_executor(tiny_cfg):
    method = build_method("unet", tiny_cfg.replace(run_eagerly=False, engine="separate"))
    assert iteration_runner(method).step == method.train_step
    method = build_method("unet", tiny_cfg.replace(run_eagerly=True))          # auto, but no graphs wanted
    assert iteration_runner(method).step == method.train_step
    method = build_method("unet", tiny_cfg.replace(run_eagerly=False))
    if keras.backend.backend() in ("jax", "tensorflow"):
        assert isinstance(iteration_runner(method), CompiledIteration)
