"""Mean Teacher (Tarvainen & Valpola 2017), as semi-supervised medical segmentation uses it (the
public SSL4MIS recipe), on the U-Net baseline's network, so that it differs from the U-Net by the
consistency term alone.

One update an iteration, of the student (the U-Net), then the teacher follows it:

1. the student's trainer ("supervised", as every method's labelled update is named) on a labelled
   and an unlabelled batch -> Dice(labelled masks) +
   w(epoch) * MSE(student softmax, teacher softmax) on the unlabelled images, where the teacher
   sees those images plus Gaussian noise clip(0.1 N(0, 1), -0.2, 0.2);
2. teacher <- EMA of the student's weights, decay min(1 - 1/(step + 1), `ema_decay`), step the
   number of updates before this one (so the first copies the student).

Choices for this protocol, where SSL4MIS's 2-D script differs or is silent:
- the supervised loss is the U-Net baseline's (the project's Dice loss, weight 1, Adam with
  `unet_beta_1`, each method's own learning rate), not SSL4MIS's (cross-entropy + Dice) / 2;
- the consistency weight `consistency` * exp(-5 (1 - t)^2) ramps by epoch, t = epoch /
  (`consistency_rampup` * epochs) clipped to 1: SSL4MIS ramps in blocks of 150 iterations over
  its whole 30,000-iteration run; here over the planned epochs (early stopping may end a run
  before the ramp does);
- the labelled and unlabelled batches go through the student as two batches (batch norm on each
  batch's own statistics), not concatenated into one;
- the teacher, like SSL4MIS's (never put in eval mode), uses the batch's own batch-norm
  statistics; only its trainable weights follow the student. Predictions, validation and test
  use the student, as SSL4MIS evaluates its `model`.
"""
from __future__ import annotations

import math

import keras

from sdnet.config import SDNetConfig
from sdnet.methods.base import LABELLED_PAIRS, UNLABELLED, Batch, Method, compile_trainer, dtype_policy, named
from sdnet.methods.unet import PredictsWithUNet
from sdnet.nn import networks
from sdnet.nn.losses import dice_loss


@keras.saving.register_keras_serializable(package="sdnet")
def weighted_consistency(y_true, y_pred):
    """Mean squared difference between the student's softmax (`y_pred`) and the teacher's (all but
    the last channel of `y_true`), times the consistency weight (the last channel, constant)."""
    weight, teacher = y_true[..., -1:], y_true[..., :-1]
    return keras.ops.mean(weight * keras.ops.square(y_pred - teacher), axis=-1)


def sigmoid_rampup(t):
    """exp(-5 (1 - t)^2) for t clipped to [0, 1] (Laine & Aila 2017; SSL4MIS's ramps)."""
    t = min(max(t, 0.0), 1.0)
    return math.exp(-5.0 * (1.0 - t) ** 2)


class RampedConsistency:
    """The weight of an unlabelled term, `consistency` * sigmoid_rampup(epoch / (`consistency_rampup`
    * epochs)), kept in a variable that the compiled iteration reads (set at each epoch's start:
    no checkpoint needs it)."""

    def _consistency_weight_variable(self):
        self.consistency_weight = keras.Variable(0.0, trainable=False, name="consistency_weight")

    def on_epoch_start(self, epoch):
        ramp = self.cfg.consistency_rampup * self.cfg.epochs
        self.consistency_weight.assign(self.cfg.consistency * (sigmoid_rampup(epoch / ramp) if ramp else 1.0))


class MeanTeacher(RampedConsistency, PredictsWithUNet, Method):
    name = "mean_teacher"
    streams = (LABELLED_PAIRS, UNLABELLED)
    uses_unlabelled_pool = True

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.unet = networks.build_unet(cfg)
            self.teacher = networks.build_unet(cfg)
        self.teacher.set_weights(self.unet.get_weights())
        self.networks = {"unet": self.unet, "teacher": self.teacher}
        labelled, unlabelled = keras.Input(cfg.input_shape), keras.Input(cfg.input_shape)
        student = keras.Model([labelled, unlabelled], [named(self.unet(labelled), "segmentation"),
                                                       named(self.unet(unlabelled), "consistency")],
                              name="mean_teacher_supervised_trainer")
        self.trainers = {"supervised": compile_trainer(student, cfg, [dice_loss, weighted_consistency],
                                                    beta_1=cfg.unet_beta_1)}
        self._consistency_weight_variable()

    def train_step(self, batch: Batch, rng) -> dict:
        ops, cfg = self.ops, self.cfg
        if batch.unlabelled is None:
            raise ValueError("Mean Teacher needs unlabelled images for its consistency term: none were loaded")
        noise = ops.normal(rng, batch.unlabelled.shape)
        noisy = batch.unlabelled + keras.ops.clip(cfg.input_noise * noise, -cfg.input_noise_clip, cfg.input_noise_clip)
        teacher = ops.infer(self.teacher, noisy, training=True)
        weight = keras.ops.broadcast_to(keras.ops.cast(ops.read(self.consistency_weight), teacher.dtype),
                                        keras.ops.shape(teacher)[:-1] + (1,))
        logs = ops.update("supervised", [batch.images, batch.unlabelled],
                          [batch.masks, keras.ops.concatenate([teacher, weight], axis=-1)])
        self._follow_student()
        return {"supervised_Mask": logs["segmentation_loss"], "consistency": logs["consistency_loss"]}

    def _follow_student(self):
        """The teacher's weights <- their EMA with the student's, at the decay of this step."""
        ops = self.ops
        updates = keras.ops.cast(ops.read(self.trainers["supervised"].optimizer.iterations), "float32")
        decay = keras.ops.minimum(1.0 - 1.0 / updates, self.cfg.ema_decay)    # updates = step + 1
        for mine, students in zip(self.teacher.trainable_variables, self.unet.trainable_variables):
            ops.assign(mine, decay * ops.read(mine) + (1.0 - decay) * ops.read(students))

