"""Mean Teacher: the teacher is the EMA of the student at SSL4MIS's decay, sees clipped noise,
and its consistency weight ramps; both executors compute the same iteration, and the comparison
fails when the teacher stops following the student."""
import keras
import numpy as np
import pytest

from sdnet.methods import build_method
from sdnet.methods.mean_teacher import sigmoid_rampup

from helpers import labelled_and_unlabelled
from engine_cases import MUTATIONS, assert_executors_agree


def _weights(network):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in network.trainable_variables]


def test_the_teacher_copies_the_student_then_follows_it_at_the_rampup_decay(tiny_cfg, rng):
    method = build_method("mean_teacher", tiny_cfg.replace(ema_decay=0.99))
    method.on_epoch_start(0)
    teacher_before = _weights(method.teacher)
    method.train_step(labelled_and_unlabelled(tiny_cfg, rng), rng)           # step 0: decay min(1 - 1/1, 0.99) = 0
    for teacher, student in zip(_weights(method.teacher), _weights(method.unet)):
        np.testing.assert_allclose(teacher, student, rtol=1e-6, atol=1e-7)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(teacher_before, _weights(method.teacher)))
    teacher_before = _weights(method.teacher)
    method.train_step(labelled_and_unlabelled(tiny_cfg, rng), rng)           # step 1: decay 1 - 1/2
    for before, teacher, student in zip(teacher_before, _weights(method.teacher), _weights(method.unet)):
        np.testing.assert_allclose(teacher, 0.5 * before + 0.5 * student, rtol=1e-5, atol=1e-6)


def test_the_teacher_sees_the_unlabelled_images_with_clipped_noise(tiny_cfg, rng, monkeypatch):
    method = build_method("mean_teacher", tiny_cfg)
    method.on_epoch_start(0)
    seen, infer = [], method.ops.infer
    monkeypatch.setattr(method.ops, "infer", lambda network, x, training=False: seen.append(np.asarray(x)) or
                        infer(network, x, training))
    batch = labelled_and_unlabelled(tiny_cfg, rng)
    method.train_step(batch, rng)
    noise = seen[0] - batch.unlabelled
    assert np.abs(noise).max() <= 0.2 + 1e-6 and np.abs(noise).max() > 0.15     # 0.1 N(0, 1), clipped at 2 sigma
    assert 0.08 < noise.std() < 0.1


def test_the_consistency_weight_ramps_over_the_planned_epochs(tiny_cfg):
    method = build_method("mean_teacher", tiny_cfg.replace(epochs=10, consistency=0.1, consistency_rampup=0.5))
    weights = []
    for epoch in range(10):
        method.on_epoch_start(epoch)
        weights.append(float(keras.ops.convert_to_numpy(method.consistency_weight)))
    assert weights[0] == pytest.approx(0.1 * np.exp(-5))
    assert weights[2] == pytest.approx(0.1 * sigmoid_rampup(2 / 5)) and sigmoid_rampup(0.4) == pytest.approx(np.exp(-1.8))
    assert all(a < b for a, b in zip(weights[:5], weights[1:6])) and weights[5:] == [pytest.approx(0.1)] * 5


def test_the_consistency_term_moves_the_student(tiny_cfg):
    """Two students from one state and one batch, one with the consistency term off: they differ."""
    results = []
    for weight in (0.0, 10.0):
        keras.utils.set_random_seed(3)
        method = build_method("mean_teacher", tiny_cfg.replace(consistency=weight, consistency_rampup=0.0))
        method.on_epoch_start(0)
        rng = np.random.default_rng(0)
        losses = [method.train_step(labelled_and_unlabelled(method.cfg, rng), rng) for _ in range(2)]
        results.append((_weights(method.unet), losses))
    (off, off_losses), (on, on_losses) = results
    assert off_losses[0]["consistency"] == 0.0 and on_losses[0]["consistency"] > 0
    assert max(np.abs(a - b).max() for a, b in zip(off, on)) > 1e-6


def test_compiled_iterations_compute_what_the_separate_calls_compute():
    assert_executors_agree("mean_teacher", "predicted")


@pytest.mark.long       # the comparison's power, shown once; the equality itself runs every time
def test_the_comparison_fails_when_the_teacher_stops_following(monkeypatch):
    monkeypatch.setitem(MUTATIONS, "the teacher frozen",
                        lambda method, runner: setattr(method, "_follow_student", lambda: None))
    with pytest.raises(AssertionError, match="differs by|Not equal"):
        assert_executors_agree("mean_teacher", "predicted", mutation="the teacher frozen")
