"""What the compiled-engine tests share (tests/methods/test_engine*.py, one file a case so that
the test workers run the cases side by side): batches, a method trained by either executor, a
resumed one, and the comparison of the two executors."""
import copy
import functools

import keras
import numpy as np

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


@functools.cache     # the GAN's compiled run serves both of test_engine.py's GAN tests: one compilation fewer
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


def assert_executors_agree(method_name, fake_masks):
    """From one state, the separate calls and the compiled iteration give the same losses,
    state and mask pool (the tolerances: tests/methods/test_engine.py's docstring)."""
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
