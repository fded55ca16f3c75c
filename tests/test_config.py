"""The configuration: presets, typed `--set` values, ranges and choices."""
import pytest

from sdnet.config import SDNetConfig, get_preset, parse_overrides


@pytest.mark.parametrize("items, expected", [
    (["epochs=3"], {"epochs": 3}),
    (["learning_rate=1e-3", "decay=0"], {"learning_rate": 1e-3, "decay": 0.0}),
    (["rounding=false", "augment=YES"], {"rounding": False, "augment": True}),
    (["test_weights=best"], {"test_weights": "best"}),
])
def test_values_take_the_type_of_their_field(items, expected):
    values = parse_overrides(items)
    assert values == expected
    assert all(type(values[k]) is type(v) for k, v in expected.items())


@pytest.mark.parametrize("items, message", [
    (["epochs=abc"], "epochs=abc: expected a whole number"),
    (["epochs=1.5"], "epochs=1.5: expected a whole number"),
    (["rounding=maybe"], "rounding=maybe: expected true or false"),
    (["learning_rate=inf"], "expected a finite number"),
    (["epoch=3"], "unknown configuration field; did you mean epochs"),
    (["num_masks=2"], "number of structures of the data set"),
    (["seed=3"], "seed is one of --seeds"),
    (["epochs"], "KEY=VALUE"),
])
def test_ill_typed_values_are_refused_naming_the_field(items, message):
    with pytest.raises(ValueError, match=message):
        parse_overrides(items)


@pytest.mark.parametrize("overrides, message", [
    ({"batch_size": 0}, r"batch_size=0 is outside its range \[1, 65536\]"),
    ({"epochs": 0}, "epochs=0 is outside"),
    ({"beta_1": 1.0}, "beta_1=1.0 is outside"),
    ({"test_weights": "middle"}, r"test_weights='middle' is not one of \['last', 'best'\]"),
    ({"spectral": "true"}, "spectral='true' is not one of"),
    ({"precision": "float8"}, "precision='float8'"),
    ({"fake_masks": "other"}, "fake_masks='other'"),
    ({"no_such_key": 1}, "unknown configuration"),
    ({"modality_fractions": "MR=2"}, "modality_fractions='MR=2': expected TAG=FRACTION pairs"),
    ({"modality_fractions": "MR"}, "expected TAG=FRACTION"),
    ({"modality_fractions": "MR=0,CT=0"}, "trains on no modality"),
])
def test_out_of_range_values_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        get_preset("tiny", **overrides)


def test_presets_are_valid_and_unknown_presets_named():
    for name in ("paper", "quick", "tiny"):
        get_preset(name)
    with pytest.raises(ValueError, match="unknown preset 'fast'"):
        get_preset("fast")


def test_the_quick_preset_scores_with_recomputed_statistics_and_the_one_subject_study_with_moving_ones():
    """150 quick steps leave the moving averages far from the data; the study compares both."""
    from sdnet.experiments.settings import ONE_SUBJECT_CPU

    assert get_preset("quick").batchnorm_statistics == "recomputed"
    assert get_preset("paper").batchnorm_statistics == "moving"
    assert get_preset("quick", **ONE_SUBJECT_CPU).batchnorm_statistics == "moving"


def test_config_round_trips_through_a_dict():
    cfg = get_preset("quick", epochs=3)
    assert SDNetConfig.from_dict(cfg.to_dict()) == cfg
    assert get_preset("paper").spacing_mm == pytest.approx(1.37)
    assert cfg.spacing_mm == pytest.approx(1.37 * 224 / 64)


# The authors' values (github.com/agis85/anatomy_modality_decomposition), each with the file that
# sets it: the paper preset must keep every one.
AUTHORS = [
    ("learning_rate", 1e-4, "configuration/sdnet_config_acdc.py: 'lr': 0.0001"),
    ("decay", 1e-4, "configuration/sdnet_config_acdc.py: 'decay': 0.0001"),
    ("beta_1", 0.5, "models/sdnet.py: Adam(self.conf.lr, beta_1=0.5, decay=self.conf.decay)"),
    ("w_segmentation", 10.0, "configuration/sdnet_config_acdc.py: 'w_sup_M': 10"),
    ("w_adversarial", 10.0, "configuration/sdnet_config_acdc.py: 'w_adv_M': 10"),
    ("w_reconstruction", 1.0, "configuration/sdnet_config_acdc.py: 'w_rec_X': 1"),
    ("w_z_reconstruction", 1.0, "configuration/sdnet_config_acdc.py: 'w_rec_Z': 1"),
    ("w_kl", 0.01, "configuration/sdnet_config_acdc.py: 'w_kl': 0.01"),
    ("pool_size", 50, "configuration/sdnet_config_acdc.py: 'pool_size': 50"),
    ("batch_size", 4, "configuration/sdnet_config_acdc.py: 'batch_size': 4"),
    ("epochs", 500, "configuration/sdnet_config_acdc.py: 'epochs': 500"),
    ("anatomy_channels", 8, "configuration/sdnet_config_acdc.py: 'num_mask_channels': 8"),
    ("num_z", 8, "configuration/sdnet_config_acdc.py: 'num_z': 8"),
    ("patience", 100, "model_executors/sdnet_executor.py: EarlyStopping('val_loss', min_delta=0.01, patience=100)"),
    ("min_delta", 0.01, "model_executors/sdnet_executor.py: EarlyStopping('val_loss', min_delta=0.01, patience=100)"),
    ("filters", 64, "configuration/sdnet_config_acdc.py: anatomy_encoder_params['filters'] = 64"),
    ("unet_downsample", 4, "configuration/sdnet_config_acdc.py: anatomy_encoder_params['downsample'] = 4"),
    ("discriminator_filters", 64, "configuration/sdnet_config_acdc.py: d_mask_params['filters'] = 64"),
    ("spectral", "penalty", "configuration/discriminator_config.py: 'spectral': True"),
    ("max_unlabelled", 1200, "model_executors/sdnet_executor.py: max_ul_images = 1200"),
    ("augment", True, "configuration/sdnet_config_acdc.py: 'augment': True"),
    ("rounding", True, "configuration/sdnet_config_acdc.py: 'rounding': 'encoder'"),
    ("image_size", 224, "loaders/acdc.py: input_shape (224, 224, 1)"),
]


@pytest.mark.parametrize("field, value, source", AUTHORS, ids=[a[0] for a in AUTHORS])
def test_the_paper_preset_keeps_the_authors_value(field, value, source):
    assert getattr(get_preset("paper"), field) == value, source
