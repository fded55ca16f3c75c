"""Methods by name, and what each owns besides its code: its display name and its own settings.

Kept free of Keras, so that the command lines can check `--methods` and `--set` before a
backend is chosen; a method's class is imported when it is first built. A new method is its
module plus one entry here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from sdnet.config import SHARED_FIELDS, Setting

INF = float("inf")


@dataclass(frozen=True)
class MethodEntry:
    cls: str                    # "module:Class"
    display_name: str           # in reports and tables
    settings: dict = field(default_factory=dict)    # name -> Setting: the method's own
    compared: bool = False      # a segmentation method of Table 1's equal-terms comparison

    def load(self):
        module, name = self.cls.split(":")
        return getattr(importlib.import_module(module), name)


# The mask discriminator's settings (SDNet and the GAN, sdnet/methods/adversarial.py)
ADVERSARIAL = {
    "discriminator_filters": Setting(64, 1, 4096),
    "spectral": Setting("penalty", choices=("penalty", "none"),
                        help='"penalty": the original discriminator\'s regulariser (sdnet.nn.layers.SpectralPenalty)'),
    "spectral_weight": Setting(10.0, 0, INF),
    "w_adversarial": Setting(10.0, 0, INF, help="weight of D_M's LSGAN cost in the generator-side update"),
    "pool_size": Setting(50, 1, INF, help="the last N generated masks, from which D_M's fakes are drawn"),
    "fake_masks": Setting("predicted", choices=("predicted", "unsupervised", "predicted_training_bn"),
                          help='D_M\'s fake masks: "predicted" = a separate inference-mode prediction of other '
                               'images (the original executor); "unsupervised" = the unsupervised update\'s own '
                               'segmentor outputs (training-mode batch norm, the unlabelled batch); '
                               '"predicted_training_bn" = the separate images, in training-mode batch norm'),
    "discriminator_masks": Setting("all", choices=("all", "disjoint"),
                                   help='D_M\'s real masks: "all" training subjects (original) or "disjoint": '
                                        'subjects whose images are never in the unlabelled pool'),
    "train_discriminator": Setting(True, help="step 5, D_M's update (needs unlabelled images)"),
}

# SDNet's own (paper section 4.2, original sdnet_config_acdc.py)
SDNET = {
    **ADVERSARIAL,
    "anatomy_channels": Setting(8, 1, 256, help="C, channels of the anatomy factor s"),
    "num_z": Setting(8, 1, 4096, help="nz, size of the modality factor z"),
    "rounding": Setting(True, help="straight-through binarisation of s (Fig 3b ablation: False)"),
    "segmentor_filters": Setting(64, 1, 4096),
    "modality_filters": Setting(16, 1, 4096),
    "w_kl": Setting(0.01, 0, INF),
    "w_reconstruction": Setting(1.0, 0, INF),
    "w_z_reconstruction": Setting(1.0, 0, INF),
    # which of the five updates run (steps 1-2 need labels, 3-5 unlabelled images)
    "train_supervised": Setting(True, help="step 1, the supervised update"),
    "train_unsupervised": Setting(True, help="step 3, the unsupervised update"),
    "train_z_regressor": Setting(True, help="steps 2 and 4, the z regressor"),
}

UNET = {
    "unet_beta_1": Setting(0.5, 0, 0.999999, help="Adam's beta_1: SDNet's (paper 4.3); 0.9 is the released U-Net "
                                                   "executor's default, code that could not run"),
}

# The unlabelled term of Mean Teacher and cross pseudo-supervision, ramped by epoch (SSL4MIS's values)
CONSISTENCY = {
    "consistency": Setting(0.1, 0, INF, help="weight of the unlabelled (consistency or pseudo-label) term, ramped"),
    "consistency_rampup": Setting(1.0, 0, INF, help="ramp length as a fraction of `epochs` (0: no ramp)"),
}

METHODS = {
    "unet": MethodEntry("sdnet.methods.unet:UNet", "U-Net", UNET, compared=True),
    "selftrain": MethodEntry("sdnet.methods.selftrain:SelfTrain", "self-train",
                             {**UNET, "self_train_rounds": Setting(1, 0, 100)}, compared=True),
    "gan": MethodEntry("sdnet.methods.gan:GAN", "GAN", ADVERSARIAL, compared=True),
    "sdnet": MethodEntry("sdnet.methods.sdnet:SDNet", "SDNet", SDNET, compared=True),
    # beyond the paper: the U-Net plus an EMA teacher's consistency (SSL4MIS's recipe)
    "mean_teacher": MethodEntry("sdnet.methods.mean_teacher:MeanTeacher", "Mean Teacher", {
        **UNET, **CONSISTENCY,
        "ema_decay": Setting(0.99, 0, 1, help="the teacher's EMA decay, after min(1 - 1/(step + 1), .) ramps up"),
        "input_noise": Setting(0.1, 0, INF, help="std of the Gaussian noise on the teacher's input"),
        "input_noise_clip": Setting(0.2, 0, INF, help="the noise clipped to +-this"),
    }, compared=True),
    # beyond the paper: two U-Nets, each taught by the other's pseudo-labels (SSL4MIS's recipe)
    "cross_pseudo": MethodEntry("sdnet.methods.cross_pseudo:CrossPseudoSupervision", "CPS",
                                {**UNET, **CONSISTENCY}, compared=True),
    # Section 5.2: the area regression's weight (mean absolute error of the per-slice pixel count of
    # `area_structure`, divided by the image's pixel count; the paper gives neither; 0 fine-tunes
    # without it, the control)
    "sdnet_lvv": MethodEntry("sdnet.methods.sdnet_lvv:SDNetVolume", "sdnet_lvv",
                             {**SDNET, "w_area": Setting(1.0, 0, INF), "area_structure": Setting("LV")}),
}

def merged_settings(entries) -> dict:
    """{name: Setting} of the entries' own settings; ValueError where one shadows a shared field
    of SDNetConfig or two entries declare one name differently (a family of methods shares one
    declaration, as SDNet's and the GAN's D_M settings)."""
    merged = {}
    for entry in entries:
        for name, setting in entry.settings.items():
            if name in SHARED_FIELDS:
                raise ValueError(f"setting {name!r} is a shared field of SDNetConfig; a method cannot redeclare it")
            if merged.get(name, setting) != setting:
                raise ValueError(f"setting {name!r} declared twice with different defaults or ranges")
            merged[name] = setting
    return merged


_merged = {}      # the merge of the entries as they are now (a test may add one)


def method_settings() -> dict:
    """Every registered method's own settings (what `--set`, the presets and run.json accept
    beside SDNetConfig's fields)."""
    key = tuple((name, id(entry)) for name, entry in METHODS.items())
    if key not in _merged:
        _merged.clear()
        _merged[key] = merged_settings(METHODS.values())
    return _merged[key]


method_settings()     # a conflicting entry fails at import, not at the first --set


def compared_methods() -> tuple:
    """The methods Table 1's equal-terms comparison runs, in the registry's order."""
    return tuple(name for name, entry in METHODS.items() if entry.compared)


def display_name(method: str) -> str:
    return METHODS[method].display_name if method in METHODS else method


def build_method(name: str, cfg):
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[name].load()(cfg)
