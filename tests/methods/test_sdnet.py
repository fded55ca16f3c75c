"""SDNet: the five updates, their optimisers, learning, state, saving and fake-mask sources."""
import os
import subprocess
import sys

import numpy as np
import keras
import pytest

from sdnet.methods.base import Batch
from sdnet.methods.engine import COMPILED_BACKENDS
from sdnet.methods.sdnet import SDNet

from engine_cases import EXECUTORS
from helpers import changed, weights_by_network


@pytest.mark.parametrize("executor", ["separate", "compiled"])
def test_each_update_changes_exactly_its_networks(tiny_cfg, batch, rng, executor):
    """Through either executor (engine_cases.EXECUTORS): each update, run alone as the iteration,
    moves its own networks and no other; D_M's freezing is read when the update is traced too."""
    if executor == "compiled" and keras.backend.backend() not in COMPILED_BACKENDS:
        pytest.skip(f"no compiled iteration on {keras.backend.backend()}")
    model = SDNet(tiny_cfg.replace(run_eagerly=executor == "separate"))
    x, m = batch
    updates = {
        "supervised": (lambda b, r: model.train_supervised(b.images, b.masks),
                       {"anatomy_encoder", "modality_encoder", "segmentor", "decoder"}),
        "z_regressor": (lambda b, r: model.train_z_regressor(b.images, r), {"modality_encoder", "decoder"}),
        "unsupervised": (lambda b, r: model.train_unsupervised(b.images),
                         {"anatomy_encoder", "modality_encoder", "segmentor", "decoder"}),
        "discriminator": (lambda b, r: model._train_discriminator(b.masks, model.ops.infer(model.mask_network(), b.images), r),
                          {"mask_discriminator"}),
    }
    runners = {}
    for _ in range(2):  # the second round checks that the toggled discriminator stays right
        for name, (update, expected) in updates.items():
            model.train_step = update       # the iteration is this update alone (compiled: traced at its first step)
            if name not in runners:
                runners[name] = EXECUTORS[executor](model)
            assert type(runners[name]) is EXECUTORS[executor]
            before = weights_by_network(model)
            runners[name].step(Batch(images=x, masks=m), rng)
            runners[name].sync()
            assert changed(before, weights_by_network(model)) == expected, name


def test_each_optimiser_counts_its_own_steps(tiny_cfg, batch, rng):
    model = SDNet(tiny_cfg)
    x, m = batch
    for _ in range(3):
        model.train_step(Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x), rng)
    model.train_step(Batch(images=x, masks=m), rng)  # no unlabelled data: steps 3-5 skipped
    assert model.optimizer_iterations() == {"supervised": 4, "z_regressor": 7, "unsupervised": 3,
                                            "discriminator": 3}


def test_learning_rate_follows_the_keras2_decay(tiny_cfg):
    from sdnet.methods.base import learning_rate_schedule

    schedule = learning_rate_schedule(tiny_cfg)
    for step in (0, 10, 1000):
        assert float(keras.ops.convert_to_numpy(schedule(step))) == pytest.approx(1e-4 / (1 + 1e-4 * step), rel=1e-6)


@pytest.mark.slow
def test_overfitting_a_fixed_batch_drives_the_dice_loss_down(tiny_cfg, batch):
    keras.utils.set_random_seed(0)
    model = SDNet(tiny_cfg.replace(learning_rate=1e-3, decay=0.0, run_eagerly=False))
    x, m = batch
    first = model.train_supervised(x, m)["supervised_Mask"]
    for _ in range(250):
        last = model.train_supervised(x, m)["supervised_Mask"]
    assert last < first - 0.3, (first, last)


@pytest.mark.long      # XLA's compile dominates; .ci/run runs it with the engine's XLA cases
def test_xla_setting_reaches_every_trainer_and_network_and_gives_the_same_loss(tiny_cfg, batch):
    """`xla` switches XLA for all four trainers and the networks' predictions (TensorFlow);
    JAX always compiles; PyTorch never does. Steps from the same state agree either way."""
    from sdnet.training.run import seed_everything

    x, m = batch
    cfg = tiny_cfg.replace(run_eagerly=False)
    seed_everything(0, deterministic=False)      # as a run with xla=True: TensorFlow's deterministic ops exclude XLA
    plain, compiled = SDNet(cfg.replace(xla=False)), SDNet(cfg.replace(xla=True))
    expected = {"tensorflow": (False, True), "jax": (True, True), "torch": (False, False)}[keras.backend.backend()]
    for model, jit in zip((plain, compiled), expected):
        for part in list(model.trainers.values()) + list(model.networks.values()):
            assert bool(part.jit_compile) is jit, part.name
    compiled.set_state(plain.get_state())
    np.testing.assert_allclose(compiled.predict_masks(x), plain.predict_masks(x), atol=1e-5)
    dice = [model.train_supervised(x, m)["supervised_Mask"] for model in (plain, compiled)]
    assert dice[1] == pytest.approx(dice[0], abs=1e-5)


def test_state_round_trip_restores_every_variable(tiny_cfg, batch, rng):
    x, m = batch
    a = SDNet(tiny_cfg)
    a.train_step(Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x), rng)
    b = SDNet(tiny_cfg)
    b.set_state(a.get_state())
    for va, vb in zip(a.state_variables(), b.state_variables()):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(va), keras.ops.convert_to_numpy(vb))
    assert b.optimizer_iterations() == a.optimizer_iterations()


@pytest.mark.slow
def test_weights_and_keras_files_reload_to_the_same_outputs(tiny_cfg, batch, tmp_path):
    x, m = batch
    model = SDNet(tiny_cfg)
    model.train_supervised(x, m)
    model.save_weights(str(tmp_path))
    model.save(str(tmp_path))
    other = SDNet(tiny_cfg)
    other.load_weights(str(tmp_path))
    np.testing.assert_allclose(other.predict_masks(x), model.predict_masks(x), rtol=1e-5, atol=1e-6)
    for name, net in model.networks.items():
        loaded = keras.saving.load_model(os.path.join(tmp_path, f"{name}.keras"), safe_mode=True)
        inputs = [np.asarray(np.random.default_rng(1).uniform(-1, 1, (2,) + tuple(i.shape[1:])), "float32")
                  for i in net.inputs]
        inputs = inputs if len(inputs) > 1 else inputs[0]
        if name == "modality_encoder":   # z is sampled: compare the KL output
            np.testing.assert_allclose(loaded.predict_on_batch(inputs)[1], net.predict_on_batch(inputs)[1],
                                       rtol=1e-5)
        else:
            np.testing.assert_allclose(loaded.predict_on_batch(inputs), net.predict_on_batch(inputs),
                                       rtol=1e-5, atol=1e-6)


OTHER_BACKEND = {"tensorflow": "jax", "jax": "tensorflow", "torch": "jax"}


@pytest.mark.slow
def test_weights_saved_under_one_backend_load_under_another(tiny_cfg, batch, tmp_path):
    other = OTHER_BACKEND[keras.backend.backend()]
    if subprocess.run([sys.executable, "-c", f"import {other if other != 'tensorflow' else 'tensorflow'}"],
                      capture_output=True).returncode:
        pytest.skip(f"{other} is not installed")
    x, m = batch
    model = SDNet(tiny_cfg)
    model.train_supervised(x, m)
    model.save_weights(str(tmp_path))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", model.predict_masks(x))
    script = (f"import numpy as np; from sdnet.config import get_preset; from sdnet.methods.sdnet import SDNet; "
              f"m = SDNet(get_preset('tiny')); m.load_weights(r'{tmp_path}'); "
              f"np.testing.assert_allclose(m.predict_masks(np.load(r'{tmp_path}/x.npy')), "
              f"np.load(r'{tmp_path}/expected.npy'), rtol=1e-4, atol=1e-5)")
    env = {**os.environ, "KERAS_BACKEND": other}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_training_mode_masks_use_batch_statistics_and_leave_moving_statistics_alone(tiny_cfg, batch):
    x, m = batch
    keras.utils.set_random_seed(0)      # an initialisation whose softmax is not saturated: the modes differ
    model = SDNet(tiny_cfg)
    model.train_supervised(x, m)
    before = [keras.ops.convert_to_numpy(v).copy() for v in model.mask_network().non_trainable_variables]
    training = model.training_mode_masks(x)
    after = [keras.ops.convert_to_numpy(v) for v in model.mask_network().non_trainable_variables]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert training.shape == m.shape
    assert np.abs(training - model.predict_masks(x)).max() > 1e-3     # batch, not moving, statistics


@pytest.mark.parametrize("mode", ["predicted", "unsupervised", "predicted_training_bn"])
def test_every_fake_mask_source_trains_the_discriminator(tiny_cfg, batch, rng, mode):
    x, m = batch
    model = SDNet(tiny_cfg.replace(fake_masks=mode))
    losses = model.train_step(Batch(images=x, masks=m, unlabelled=x, real_masks=m, discriminator_images=x), rng)
    assert np.isfinite(losses["dis_M"]) and model.optimizer_iterations()["discriminator"] == 1
    assert len(model.pool.masks) == 2


def test_diagnostics_score_validation_with_batch_statistics_apart_from_the_moving_ones(tiny_cfg, batch):
    from sdnet.data import Data

    x, m = batch
    model = SDNet(tiny_cfg)
    model.train_supervised(x, m)
    data = Data(images=x, masks=m, subject=np.zeros(len(x), int))
    before, inference_mode = model.diagnostics(data, ("MYO", "LV", "RV")), model.predict_masks(x)
    for variable in model.mask_network().non_trainable_variables:    # ruin the moving statistics
        if "moving_" in variable.path:
            variable.assign(np.full(variable.shape, 10.0 if "mean" in variable.path else 1e-4, "float32"))
    after = model.diagnostics(data, ("MYO", "LV", "RV"))
    assert after["val_dice_training_bn"] == pytest.approx(before["val_dice_training_bn"], abs=1e-6)
    assert np.abs(model.predict_masks(x) - inference_mode).max() > 1e-2     # inference mode did change


def test_diagnostics_given_the_validation_masks_predict_them_no_more_and_log_the_same_numbers(tiny_cfg, batch):
    """The loop predicts the validation images once per epoch and hands the masks on: SDNet's
    diagnostics (areas, D_fake, occupancy) are then the numbers they compute on their own."""
    from sdnet.data import Data

    x, m = batch
    model = SDNet(tiny_cfg)
    model.train_supervised(x, m)
    data = Data(images=x, masks=m, subject=np.zeros(len(x), int))
    alone = model.diagnostics(data, ("MYO", "LV", "RV"))
    predicted = model.segment(x)
    model.segment = model.predict_masks = None          # any further prediction of the masks fails
    assert model.diagnostics(data, ("MYO", "LV", "RV"), predicted) == alone


def test_factor_statistics_count_empty_channels_and_read_the_posterior_variance(tiny_cfg, batch):
    """A channel whose softmax logit is pushed far down is zero everywhere; a z_log_var layer
    with zero weights and bias log(0.5) gives the variance 0.5 in every dimension."""
    from sdnet.data import Data

    x, m = batch
    model = SDNet(tiny_cfg)
    head = [layer for layer in model.anatomy_encoder.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    kernel, bias = head.get_weights()
    bias[1] = -1e4
    head.set_weights([kernel, bias])
    z_log_var = model.modality_encoder.get_layer("z_log_var")
    z_log_var.set_weights([np.zeros_like(w) for w in z_log_var.get_weights()[:1]]
                          + [np.full(tiny_cfg.num_z, np.log(0.5), "float32")])
    stats = model.factor_statistics(Data(images=x, masks=m, subject=np.zeros(len(x), int)))
    assert stats["anatomy_channels"] == tiny_cfg.anatomy_channels and stats["z_dimensions"] == tiny_cfg.num_z
    assert stats["empty_anatomy_channels"] >= 1
    np.testing.assert_allclose(stats["z_posterior_variance"], 0.5, rtol=1e-5)
