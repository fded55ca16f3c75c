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
import keras
import numpy as np
import pytest

from sdnet.methods import build_method
from sdnet.methods.engine import CompiledIteration, iteration_runner

from engine_cases import assert_executors_agree, resumed, trained


# SDNet-LVV runs every SDNet update and adds its own, so it stands for SDNet (with its
# "unsupervised" fake masks; its case is in test_engine_sdnet_lvv.py, which a second test worker
# runs beside this file); the GAN takes its fake masks from the masks operation SDNet's
# "predicted" ones use, and shares SDNet's discriminator code. Each case costs two compilations of
# the whole iteration (minutes on a 2-core CPU).
@pytest.mark.parametrize("method_name, fake_masks", [("unet", "predicted"), ("gan", "predicted")])
def test_compiled_iterations_compute_what_the_separate_calls_compute(method_name, fake_masks):
    assert_executors_agree(method_name, fake_masks)


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
