"""The runner merges a run's configuration in one place, in one order of layers."""
import pytest

from sdnet.experiments import Experiment
from sdnet.experiments.runner import run_configuration
from sdnet.training.spec import RunSpec

EXP = Experiment(name="t", title="t", methods=("unet", "sdnet"), fractions=(1.0,),
                 overrides={"epochs": 3, "num_z": 4, "anatomy_channels": 4, "pool_size": 9},
                 quick_overrides={"num_z": 5, "anatomy_channels": 5, "pool_size": 10},
                 quick_method_overrides={"unet": {"anatomy_channels": 6, "pool_size": 11}},
                 variants={"v": {"pool_size": 12, "modality_fractions": "MR=1,CT=0.5"}})


@pytest.mark.parametrize("preset, spec, overrides, expected", [
    # (epochs, num_z, anatomy_channels, pool_size): each layer wins over the ones before it
    ("paper", None, {}, (3, 4, 4, 9)),                                   # preset < the experiment's
    ("quick", None, {}, (3, 5, 5, 10)),                                  # < quick overrides
    ("quick", RunSpec("unet", 1.0, 0), {}, (3, 5, 6, 11)),               # < the method's quick changes
    ("quick", RunSpec("unet", 1.0, 0, variant="v"), {}, (3, 5, 6, 12)),  # < the variant
    ("quick", RunSpec("unet", 1.0, 0, variant="v"), {"pool_size": 13, "epochs": 2}, (2, 5, 6, 13)),  # < --set
    ("paper", RunSpec("unet", 1.0, 0), {}, (3, 4, 4, 9)),                # quick layers only under quick
])
def test_the_layers_apply_in_order(preset, spec, overrides, expected):
    cfg = run_configuration(EXP, preset, overrides, spec)
    assert (cfg.epochs, cfg.num_z, cfg.anatomy_channels, cfg.pool_size) == expected


def test_a_variants_modality_tags_take_the_datas_names():
    cfg = run_configuration(EXP, "quick", {}, RunSpec("sdnet", 1.0, 0, variant="v"), roles={"MR": "cine", "CT": "LGE"})
    assert cfg.modality_fractions == "cine=1,LGE=0.5"


def test_the_runs_seed_and_the_datas_structures_are_the_last_layer():
    spec = RunSpec("unet", 1.0, 0, seed=7)
    cfg = run_configuration(EXP, "quick", {"epochs": 2}, spec, num_masks=5)
    assert (cfg.seed, cfg.num_masks, cfg.epochs) == (7, 5, 2)
    assert run_configuration(EXP, "quick", {}).seed == 1         # no run: the default seed


def test_a_run_refuses_a_configuration_not_made_for_it(phantom_loader, tmp_path):
    from sdnet.config import get_preset
    from sdnet.training.run import Run

    spec = RunSpec("unet", 1.0, 0, seed=2)
    with pytest.raises(ValueError, match="seed 1 .* run seed 2 .*run_configuration"):
        Run(spec, get_preset("tiny"), phantom_loader, str(tmp_path / "run"))
    with pytest.raises(ValueError, match="4 structures.*data of 3"):
        Run(spec, get_preset("tiny", seed=2, num_masks=4), phantom_loader, str(tmp_path / "run"))
