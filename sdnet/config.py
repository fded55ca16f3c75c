"""Run configuration: the paper's settings as defaults, plus named presets.

Every number that the original code kept in `configuration/*.py` is a setting, so a change of
loss weight, factor size, rounding or which updates run is a configuration change, never a
code edit. The settings every method shares are the fields of `SDNetConfig`; a method's own
are declared with its entry in `sdnet.methods.registry` (Keras-free, so that `--set` is checked
before a backend is chosen) and read the same way.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field

# Field of view of the original preprocessing: 224 pixels of 1.37 mm.
PAPER_IMAGE_SIZE = 224
PAPER_SPACING_MM = 1.37


@dataclass(eq=False)
class SDNetConfig:
    """The settings every method shares; a method's own settings (its loss weights, its
    networks' widths, D_M's machinery) are declared in its entry of `sdnet.methods.registry` and
    read like fields (`cfg.w_kl`)."""
    # data
    image_size: int = PAPER_IMAGE_SIZE
    num_masks: int = 3              # L: labelled structures (MYO, LV, RV for ACDC)
    augment: bool = True            # rotation up to 90 degrees (ACDC only in the paper)
    rotation_range: float = 90.0
    mask_interpolation: str = "bilinear"   # original: masks rotated bilinearly like images
    max_unlabelled: int = 1200      # the original's cap: ceil(1200 / subjects) images per subject, so
                                    # 18 x 70 = 1260 for ACDC's 70 training subjects
    augment_unlabelled: bool = True # rotate unlabelled images, D_M's real masks and its images too
    # Table 3: labelled fraction per modality tag, "MR=1,CT=0.125" (each of that modality's
    # training subjects; a tag left out or at 0 is not trained on); "" = the run's fraction of all
    modality_fractions: str = ""
    # which training subjects are labelled: "drawn" = `fraction` of them drawn with the run's seed
    # (the original's); "first" = the first ones of the split's training list, in its order, the
    # same for every seed (the SSL4MIS benchmark's "first k patients": ACDC split 3)
    labelled_choice: str = "drawn"
    # network widths
    filters: int = 64               # F, anatomy encoder / U-Net base filters
    unet_downsample: int = 4
    # the batch-norm statistics that validation, the test scores and every inference-mode
    # prediction use: "moving" = the moving averages of training (the original); "recomputed" =
    # before each validation, the segmentation path's statistics recomputed from the training
    # images (labelled and unlabelled, unaugmented; sdnet/nn/precise_bn.py)
    batchnorm_statistics: str = "moving"
    # the images recomputed statistics describe: "method" = those the method trains on (its labelled
    # subset and, if it has one, its unlabelled pool); "split" = every training image of the run's
    # split, labelled or not, the same for every method (the equal-terms protocol of Table 1)
    batchnorm_images: str = "method"
    # loss weight of the segmentation (paper section 4.2, original sdnet_config_acdc.py)
    w_segmentation: float = 10.0
    # optimisation
    learning_rate: float = 1e-4
    decay: float = 1e-4             # Keras 2 rule lr / (1 + decay * iterations)
    beta_1: float = 0.5
    batch_size: int = 4
    short_last_batch: bool = True   # Keras 2 iterators: the last batch of a pass may be short
    epochs: int = 500
    patience: int = 100
    min_delta: float = 0.01
    batches_per_epoch: int = 0      # 0: ceil(max(#labelled, #unlabelled) / batch), the original's; N: exactly
                                    # N for every method, the epochs shared by a method's phases (the quick
                                    # and tiny presets: every method gets the same number of labelled batches)
    test_weights: str = "last"      # "last" (the original) or "best" validation
    precision: str = "float32"      # or "mixed_bfloat16"
    run_eagerly: bool = False       # no graph compilation: slower steps, no 20-60 s compile per trainer
    xla: bool = True                # TensorFlow: XLA-compile trainers and predictions (Keras' "auto"
                                    # leaves XLA off on CPU-only machines, ~10 % slower at 224 px), at
                                    # the price of TensorFlow's deterministic ops, which exclude XLA:
                                    # off, reruns and resumed runs are bit-identical. JAX always
                                    # compiles with XLA; PyTorch runs eagerly.
    # how an iteration's updates execute (sdnet/methods/engine.py): "separate" = one compiled call per
    # update, as the original's train_on_batch; "compiled" = the whole iteration as one compiled
    # program (JAX, TensorFlow), the same computation; "auto" = compiled where it runs
    engine: str = "auto"
    seed: int = 1
    # the methods' own settings that differ from their declared defaults (`replace` sets them)
    method_values: dict = field(default_factory=dict, repr=False)

    def __getattr__(self, name):
        """A method's own setting: its value, or the default its registry entry declares."""
        settings = method_settings()
        if name in settings:
            return self.__dict__.get("method_values", {}).get(name, settings[name].default)
        raise AttributeError(f"{type(self).__name__} has no setting {name!r}")

    def __eq__(self, other):
        return isinstance(other, SDNetConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"SDNetConfig({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"

    @property
    def input_shape(self):
        return (self.image_size, self.image_size, 1)

    @property
    def spacing_mm(self) -> float:
        """Pixel size that keeps the original 307 mm field of view at this image size."""
        return PAPER_SPACING_MM * PAPER_IMAGE_SIZE / self.image_size

    def replace(self, **changes) -> "SDNetConfig":
        unknown = set(changes) - set(setting_types())
        if unknown:
            raise ValueError(f"unknown configuration keys: {sorted(unknown)}")
        shared = {k: v for k, v in changes.items() if k in SHARED_FIELDS}
        settings = method_settings()
        own = {k: v for k, v in changes.items() if k in settings}
        return dataclasses.replace(self, **shared, method_values={**self.method_values, **own})

    def to_dict(self) -> dict:
        """Every setting, the methods' own included, flat: what experiment.json and run.json record."""
        return {**{name: getattr(self, name) for name in SHARED_FIELDS},
                **{name: getattr(self, name) for name in method_settings()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> "SDNetConfig":
        return cls().replace(**values)

    def validate(self):
        """Every field within its range and choices; ValueError naming the field otherwise."""
        for name, (low, high) in ranges().items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name}={value!r} is outside its range [{low}, {high}]")
        for name, allowed in choices().items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {list(allowed)}")
        parse_modality_fractions(self.modality_fractions)
        if self.image_size % (2 ** self.unet_downsample):
            raise ValueError(f"image_size {self.image_size} must be divisible by "
                             f"2**unet_downsample = {2 ** self.unet_downsample}")
        if self.image_size < 32:
            raise ValueError(f"image_size {self.image_size} too small: the modality encoder "
                             "needs at least 32 pixels (four valid stride-2 convolutions)")
        return self


INF = float("inf")
RANGES = {  # numeric shared fields: [low, high]
    "image_size": (32, 4096), "num_masks": (1, 256), "rotation_range": (0, 180), "max_unlabelled": (1, INF),
    "filters": (1, 4096), "unet_downsample": (1, 8), "w_segmentation": (0, INF), "learning_rate": (1e-12, 10),
    "decay": (0, INF), "beta_1": (0, 0.999999), "batch_size": (1, 65536), "epochs": (1, INF),
    "patience": (1, INF), "min_delta": (0, 1), "batches_per_epoch": (0, INF), "seed": (0, 2 ** 32 - 1),
}
CHOICES = {
    "mask_interpolation": ("bilinear", "nearest"), "test_weights": ("last", "best"),
    "labelled_choice": ("drawn", "first"),
    "batchnorm_statistics": ("moving", "recomputed"), "batchnorm_images": ("method", "split"),
    "precision": ("float32", "mixed_bfloat16", "mixed_float16"), "engine": ("auto", "separate", "compiled"),
}
DERIVED = {"num_masks": "it is the number of structures of the data set",
           "seed": "each run's seed is one of --seeds"}
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
SHARED_FIELDS = tuple(f.name for f in dataclasses.fields(SDNetConfig) if f.name != "method_values")


@dataclass(frozen=True)
class Setting:
    """A method's own setting, declared in its registry entry: default, range or choices, and
    what it means (shown by `--set` errors and docs)."""
    default: object
    low: float = None
    high: float = None
    choices: tuple = None
    help: str = ""


def method_settings() -> dict:
    """Every method's own settings, {name: Setting}, as their owner declares them: the entries of
    `sdnet.methods.registry`, imported here by name (it imports no backend), never filled in by
    an import elsewhere."""
    from sdnet.methods.registry import method_settings as declared

    return declared()


def setting_types() -> dict:
    """{name: type name} of every setting, shared and methods' own."""
    shared = {f.name: getattr(f.type, "__name__", f.type) for f in dataclasses.fields(SDNetConfig)
              if f.name != "method_values"}
    return {**shared, **{name: type(s.default).__name__ for name, s in method_settings().items()}}


def ranges() -> dict:
    return {**RANGES, **{name: (s.low, s.high) for name, s in method_settings().items() if s.low is not None}}


def choices() -> dict:
    return {**CHOICES, **{name: s.choices for name, s in method_settings().items() if s.choices is not None}}


# Presets: changes to the defaults (the paper's), applied by `get_preset`.
PRESETS = {
    # The authors' exact settings (for a GPU).
    "paper": {},
    # Small images, few filters and epochs: a 2-core CPU finishes a run in one to two minutes.
    # Every method gets 6 x 25 labelled batches (self-training's two phases share the six
    # epochs), so that methods, not training lengths, are compared. A 10x learning rate (no
    # decay) so that 150 steps learn something; it validates the pipeline, it is not a
    # reproduction. No XLA: at this size its ~40 s of extra compile outweighs the 0.1 s it
    # saves per step. Batch-norm statistics recomputed before each validation: after 150 steps
    # the moving averages (momentum 0.99) still hold 22 % of their initial values, and scored
    # with them a U-Net that had learnt the phantom's structures scored 1 % (docs/FIDELITY.md).
    "quick": dict(image_size=64, filters=8, segmentor_filters=16, discriminator_filters=8,
                  epochs=6, patience=6, batches_per_epoch=25, max_unlabelled=300,
                  learning_rate=1e-3, decay=0.0, short_last_batch=False, xla=False,
                  batchnorm_statistics="recomputed"),
    # Between the two: a size at which a U-Net learns real ACDC within an hour of a 2-core CPU
    # (docs/results/cpu_preset_acdc.md measures it): 128 px of 2.4 mm (the paper's field of view),
    # 16 filters in every network, full passes over the data as the original, early stopping
    # scaled to 40 epochs, a 3x learning rate without decay (3e-4: the higher validation Dice of
    # the U-Net than 1e-3 in each seed tried), statistics recomputed as `quick`.
    "cpu": dict(image_size=128, filters=16, segmentor_filters=16, discriminator_filters=16,
                epochs=40, patience=10, learning_rate=3e-4, decay=0.0, xla=False,
                batchnorm_statistics="recomputed"),
    # Unit tests: the smallest model that still has every kind of layer (a U-Net of two poolings:
    # the loop over levels is the same code as the paper's four, at a third less time a test).
    "tiny": dict(image_size=32, unet_downsample=2, filters=4, segmentor_filters=8, modality_filters=4,
                 discriminator_filters=4, epochs=2, patience=2, batches_per_epoch=3,
                 max_unlabelled=40, batch_size=2, pool_size=8, run_eagerly=True,
                 short_last_batch=False, xla=False),
}

# The presets that check a pipeline rather than measure a result: an experiment run under them,
# with no flag narrowing it, runs its small grid (`quick_methods`, `quick_variants`, ...). `cpu`
# and `paper` run the declared grid: every candidate, every seed.
SMALL_GRID_PRESETS = ("quick", "tiny")
# The presets under which an experiment's `quick_overrides` (its own budget for a pipeline check)
# apply: `quick` alone; `tiny` keeps the unit tests' sizes. Every test of a preset's name goes
# through one of these two.
QUICK_OVERRIDES_PRESETS = ("quick",)


def parse_overrides(items) -> dict:
    """`KEY=VALUE` strings (the `--set` flag) -> {key: value of the field's type}, checked against
    the field's type, range and choices before anything is read or written."""
    fields = setting_types()
    overrides = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set takes KEY=VALUE, got {item!r}")
        key, text = (part.strip() for part in item.split("=", 1))
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=3)
            raise ValueError(f"--set {key}: unknown configuration field"
                             f"{'; did you mean ' + ' or '.join(close) + '?' if close else ''}")
        if key in DERIVED:
            raise ValueError(f"--set {key}: not settable, {DERIVED[key]}")
        overrides[key] = _cast(key, fields[key], text)
    return overrides


def _cast(key, kind, text):
    kind = getattr(kind, "__name__", kind)
    if kind == "bool":
        if text.lower() in TRUE + FALSE:
            return text.lower() in TRUE
        raise ValueError(f"--set {key}={text}: expected true or false")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"--set {key}={text}: expected a whole number") from None
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--set {key}={text}: expected a number") from None
        if not math.isfinite(value):
            raise ValueError(f"--set {key}={text}: expected a finite number")
        return value
    return text


def parse_modality_fractions(text: str) -> dict:
    """"MR=1,CT=0.125" -> {"MR": 1.0, "CT": 0.125}; ValueError naming the field otherwise."""
    fractions = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        tag, _, value = item.partition("=")
        try:
            fraction = float(value)
        except ValueError:
            fraction = -1.0
        if not tag.strip() or not 0 <= fraction <= 1:
            raise ValueError(f"modality_fractions={text!r}: expected TAG=FRACTION pairs with fractions in [0, 1], "
                             f"e.g. MR=1,CT=0.125")
        fractions[tag.strip()] = fraction
    if text.strip() and not any(fractions.values()):
        raise ValueError(f"modality_fractions={text!r} trains on no modality")
    return fractions


def get_preset(name: str, **overrides) -> SDNetConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return SDNetConfig().replace(**PRESETS[name]).replace(**overrides).validate()
