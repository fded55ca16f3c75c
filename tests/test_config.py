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
    assert get_preset("paper") == SDNetConfig()
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
