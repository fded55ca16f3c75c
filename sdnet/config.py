"""Run configuration: the paper's settings as defaults, plus named presets.

Every number that the original code kept in `configuration/*.py` lives here, so a change of
loss weight, factor size, rounding or which updates run is a configuration change, never a
code edit.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

# Field of view of the original preprocessing: 224 pixels of 1.37 mm.
PAPER_IMAGE_SIZE = 224
PAPER_SPACING_MM = 1.37
FAKE_MASKS = ("predicted", "unsupervised", "predicted_training_bn")


@dataclass
class SDNetConfig:
    # data
    image_size: int = PAPER_IMAGE_SIZE
    num_masks: int = 3              # L: labelled structures (MYO, LV, RV for ACDC)
    augment: bool = True            # rotation up to 90 degrees (ACDC only in the paper)
    rotation_range: float = 90.0
    mask_interpolation: str = "bilinear"   # original: masks rotated bilinearly like images
    max_unlabelled: int = 1200      # the original caps the unlabelled pool at 1200 images
    augment_unlabelled: bool = True # rotate unlabelled images, D_M's real masks and its images too
    discriminator_masks: str = "all"  # D_M's real masks: "all" training subjects (original) or
                                    # "disjoint": subjects whose images are never in the unlabelled pool
    # factors
    anatomy_channels: int = 8       # C
    num_z: int = 8                  # nz
    rounding: bool = True           # straight-through binarisation of s (Fig 3b ablation: False)
    # network widths
    filters: int = 64               # F, anatomy encoder / U-Net base filters
    unet_downsample: int = 4
    segmentor_filters: int = 64
    modality_filters: int = 16
    discriminator_filters: int = 64
    spectral: str = "penalty"       # "penalty" (original regulariser) or "none"
    spectral_weight: float = 10.0
    # D_M's fake masks: "predicted" = a separate inference-mode prediction of other images (the
    # original executor); "unsupervised" = the unsupervised update's own segmentor outputs
    # (training-mode batch norm, the unlabelled batch); "predicted_training_bn" = the separate
    # images, in training-mode batch norm
    fake_masks: str = "predicted"
    # loss weights (paper section 4.2, original sdnet_config_acdc.py)
    w_kl: float = 0.01
    w_segmentation: float = 10.0
    w_adversarial: float = 10.0
    w_reconstruction: float = 1.0
    w_z_reconstruction: float = 1.0
    # optimisation
    learning_rate: float = 1e-4
    decay: float = 1e-4             # Keras 2 rule lr / (1 + decay * iterations)
    beta_1: float = 0.5
    unet_beta_1: float = 0.9        # the original U-Net baseline used Adam's default beta_1
    batch_size: int = 4
    pool_size: int = 50
    short_last_batch: bool = True   # Keras 2 iterators: the last batch of a pass may be short
    epochs: int = 500
    patience: int = 100
    min_delta: float = 0.01
    max_batches_per_epoch: int = 0  # 0: no cap (the original); quick preset caps it
    test_weights: str = "last"      # "last" (the original) or "best" validation
    self_train_rounds: int = 1
    # which of the five updates run (steps 1-2 need labels, 3-5 unlabelled images)
    train_supervised: bool = True
    train_unsupervised: bool = True
    train_z_regressor: bool = True
    train_discriminator: bool = True
    precision: str = "float32"      # or "mixed_bfloat16"
    run_eagerly: bool = False       # no graph compilation: slower steps, no 20-60 s compile per trainer
    xla: bool = True                # TensorFlow: XLA-compile trainers and predictions (Keras' "auto"
                                    # leaves XLA off on CPU-only machines, ~10 % slower at 224 px).
                                    # JAX always compiles with XLA; PyTorch runs eagerly.
    seed: int = 1

    @property
    def input_shape(self):
        return (self.image_size, self.image_size, 1)

    @property
    def spacing_mm(self) -> float:
        """Pixel size that keeps the original 307 mm field of view at this image size."""
        return PAPER_SPACING_MM * PAPER_IMAGE_SIZE / self.image_size

    def replace(self, **changes) -> "SDNetConfig":
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> "SDNetConfig":
        return cls().replace(**values)

    def validate(self):
        if self.image_size % (2 ** self.unet_downsample):
            raise ValueError(f"image_size {self.image_size} must be divisible by "
                             f"2**unet_downsample = {2 ** self.unet_downsample}")
        if self.image_size < 32:
            raise ValueError(f"image_size {self.image_size} too small: the modality encoder "
                             "needs at least 32 pixels (four valid stride-2 convolutions)")
        if self.test_weights not in ("last", "best"):
            raise ValueError(f"test_weights must be 'last' or 'best', not {self.test_weights!r}")
        if self.spectral not in ("penalty", "none"):
            raise ValueError(f"spectral must be 'penalty' or 'none', not {self.spectral!r}")
        if self.fake_masks not in FAKE_MASKS:
            raise ValueError(f"fake_masks must be one of {FAKE_MASKS}, not {self.fake_masks!r}")
        if self.discriminator_masks not in ("all", "disjoint"):
            raise ValueError(f"discriminator_masks must be 'all' or 'disjoint', not {self.discriminator_masks!r}")
        if self.mask_interpolation not in ("bilinear", "nearest"):
            raise ValueError("mask_interpolation must be 'bilinear' or 'nearest'")
        if self.precision not in ("float32", "mixed_bfloat16", "mixed_float16"):
            raise ValueError(f"unknown precision {self.precision!r}")
        return self


PRESETS = {
    # The authors' exact settings (for a GPU).
    "paper": SDNetConfig(),
    # Small images, few filters and epochs: a 2-core CPU finishes a run in one to two minutes.
    # A 10x learning rate (no decay) so that 150 steps learn something; it validates the
    # pipeline, it is not a reproduction. No XLA: at this size its ~40 s of extra compile
    # outweighs the 0.1 s it saves per step.
    "quick": SDNetConfig(image_size=64, filters=8, segmentor_filters=16, discriminator_filters=8,
                         epochs=6, patience=6, max_batches_per_epoch=25, max_unlabelled=300,
                         learning_rate=1e-3, decay=0.0, short_last_batch=False, xla=False),
    # Unit tests: the smallest model that still has every layer.
    "tiny": SDNetConfig(image_size=32, filters=4, segmentor_filters=8, modality_filters=4,
                        discriminator_filters=4, epochs=2, patience=2, max_batches_per_epoch=3,
                        max_unlabelled=40, batch_size=2, pool_size=8, run_eagerly=True,
                        short_last_batch=False, xla=False),
}


def parse_overrides(items) -> dict:
    """`KEY=VALUE` strings (the `--set` flag) -> {key: int, float, bool or str}."""
    overrides = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes KEY=VALUE, got {item!r}")
        key, text = item.split("=", 1)
        overrides[key] = _parse_value(text)
    return overrides


def _parse_value(text):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def get_preset(name: str, **overrides) -> SDNetConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name].replace(**overrides).validate()
