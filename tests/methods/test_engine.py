"""The compiled iteration computes what the separate calls compute (the bounds, per backend and
their measured causes: tests/methods/engine_cases.py's docstring): the U-Net and the GAN here;
SDNet with each source of fake masks, its mutations, and SDNet-LVV in files of their own, so
that the test workers run them side by side. Run on TensorFlow and, in CI, on JAX."""
import keras
import numpy as np
import pytest

from sdnet.methods import build_method
from sdnet.methods.engine import CompiledIteration, SeparateIterations, iteration_runner

from engine_cases import STEPS, XLA_MODES, arithmetic_rewrites_off, assert_executors_agree, resumed, trained


@pytest.mark.parametrize("xla", XLA_MODES)
@pytest.mark.parametrize("method_name", ["unet", "gan"])
def test_compiled_iterations_compute_what_the_separate_calls_compute(method_name, xla):
    assert_executors_agree(method_name, "predicted", xla)


def test_a_resumed_compiled_run_continues_identically():
    """The GAN: its compiled iteration holds a pool buffer and host draws, as SDNet's does, at half
    the compilation time. A new method and program given a checkpoint's state, pool and generator
    after one iteration compute the next ones as the uninterrupted program did (the checkpoint
    files themselves, and every method's resumption, are tested in tests/training/test_run.py)."""
    with arithmetic_rewrites_off(False):     # the uninterrupted arm is the equality case's, run so
        straight, straight_losses, snapshot = trained("gan", "predicted", "compiled", STEPS)
        again, again_losses = resumed("gan", "predicted", snapshot, STEPS, start=1)
    for a, b in zip(straight_losses[1:], again_losses):
        np.testing.assert_allclose([a[k] for k in a], [b[k] for k in a], rtol=1e-6)
    for variable, a, b in zip(straight.state_variables(), straight.get_state().values(), again.get_state().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=variable.path)
    assert again.pool.held == straight.pool.held
    np.testing.assert_allclose(np.asarray(again.pool.masks), np.asarray(straight.pool.masks), atol=1e-7)


def test_the_engine_setting_chooses_the_executor(tiny_cfg):
    method = build_method("unet", tiny_cfg.replace(run_eagerly=False, engine="separate"))
    assert type(iteration_runner(method)) is SeparateIterations
    assert iteration_runner(method).step == method.train_step
    method = build_method("unet", tiny_cfg.replace(run_eagerly=True))          # auto, but no graphs wanted
    assert type(iteration_runner(method)) is SeparateIterations
    method = build_method("unet", tiny_cfg.replace(run_eagerly=False))
    if keras.backend.backend() in ("jax", "tensorflow"):
        assert isinstance(iteration_runner(method), CompiledIteration)
