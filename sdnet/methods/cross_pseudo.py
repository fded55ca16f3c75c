"""Cross pseudo-supervision (Chen et al. 2021), as the public SSL4MIS recipe has it for 2-D
segmentation: two U-Nets of different initialisation, each trained on the labelled batch and on
the other's hard pseudo-labels of the unlabelled batch.

One update an iteration, of both networks through one trainer ("supervised", as every method's
labelled update is named; Adam's update is per variable, so one optimiser over both is two):

    Dice_1(labelled) + Dice_2(labelled)
      + w(epoch) * [CE(net_1(unlabelled), argmax net_2(unlabelled)) + CE(net_2(unlabelled), argmax net_1(unlabelled))]

The pseudo-labels are the networks' own outputs on the same batch in training mode (batch norm
on the batch's statistics), taken before the update: the values of SSL4MIS's detached outputs.
Choices for this protocol, as Mean Teacher's (sdnet.methods.mean_teacher): the U-Net baseline's
Dice loss and Adam, not (cross-entropy + Dice) / 2 with SGD; the weight `consistency` *
exp(-5 (1 - t)^2) ramped by epoch over `consistency_rampup` of the planned epochs; labelled and
unlabelled batches as two batches. Predictions, validation and test use the first network, as
SSL4MIS evaluates `model1`.
"""
from __future__ import annotations

import keras

from sdnet.config import SDNetConfig
from sdnet.methods.base import LABELLED_PAIRS, UNLABELLED, Batch, Method, compile_trainer, dtype_policy, named
from sdnet.methods.mean_teacher import RampedConsistency
from sdnet.methods.unet import PredictsWithUNet
from sdnet.nn import networks
from sdnet.nn.losses import dice_loss


@keras.saving.register_keras_serializable(package="sdnet")
def weighted_cross_entropy(y_true, y_pred):
    """Cross-entropy of the softmax `y_pred` against the one-hot pseudo-label (all but the last
    channel of `y_true`), times the weight (the last channel, constant)."""
    weight, target = y_true[..., -1], y_true[..., :-1]
    return weight * keras.losses.categorical_crossentropy(target, y_pred)


class CrossPseudoSupervision(RampedConsistency, PredictsWithUNet, Method):
    name = "cross_pseudo"
    streams = (LABELLED_PAIRS, UNLABELLED)
    uses_unlabelled_pool = True

    def __init__(self, cfg: SDNetConfig):
        super().__init__(cfg)
        with dtype_policy(cfg.precision):
            self.unet = networks.build_unet(cfg)
            self.other = networks.build_unet(cfg, name="unet_b")
        self.networks = {"unet": self.unet, "unet_b": self.other}
        labelled, unlabelled = keras.Input(cfg.input_shape), keras.Input(cfg.input_shape)
        outputs = [named(self.unet(labelled), "segmentation"), named(self.other(labelled), "segmentation_b"),
                   named(self.unet(unlabelled), "pseudo"), named(self.other(unlabelled), "pseudo_b")]
        trainer = keras.Model([labelled, unlabelled], outputs, name="cross_pseudo_supervised_trainer")
        self.trainers = {"supervised": compile_trainer(
            trainer, cfg, [dice_loss, dice_loss, weighted_cross_entropy, weighted_cross_entropy], beta_1=cfg.unet_beta_1)}
        self._consistency_weight_variable()

    def train_step(self, batch: Batch, rng) -> dict:
        ops = self.ops
        if batch.unlabelled is None:
            raise ValueError("cross pseudo-supervision needs unlabelled images: none were loaded")
        weight = keras.ops.cast(ops.read(self.consistency_weight), "float32")
        targets = []
        for teacher in (self.other, self.unet):        # each network learns from the other's labels
            probabilities = ops.infer(teacher, batch.unlabelled, training=True)
            labels = keras.ops.one_hot(keras.ops.argmax(probabilities, axis=-1), probabilities.shape[-1])
            weights = keras.ops.broadcast_to(weight, keras.ops.shape(labels)[:-1] + (1,))
            targets.append(keras.ops.concatenate([labels, weights], axis=-1))
        logs = ops.update("supervised", [batch.images, batch.unlabelled], [batch.masks, batch.masks, *targets])
        return {"supervised_Mask": logs["segmentation_loss"], "supervised_Mask_b": logs["segmentation_b_loss"],
                "pseudo": (logs["pseudo_loss"] + logs["pseudo_b_loss"]) / 2}

