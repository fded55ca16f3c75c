"""Grid selection: the flags' axes checked, duplicates merged, the table's order kept."""
import pytest

from sdnet.experiments import Experiment
from sdnet.experiments.grid import select_grid

EXP = Experiment(name="t", title="t", methods=("unet", "gan", "selftrain", "sdnet"), fractions=(1.0, 0.5),
                 quick_fractions=(1.0,), variants={"C4": {"anatomy_channels": 4}})


def test_defaults_are_the_quick_grid_under_the_quick_preset():
    quick = select_grid(EXP, "quick")
    assert quick.methods == EXP.methods and quick.fractions == (1.0,) and quick.splits == (0,)
    paper = select_grid(EXP, "paper")
    assert paper.fractions == (1.0, 0.5) and paper.splits == (0, 1, 2) and paper.variants == ("C4",)


def test_flags_select_in_the_tables_order_and_duplicates_merge():
    grid = select_grid(EXP, "quick", methods=["sdnet", "unet", "sdnet"], fractions=[1, 1.0, 0.5],
                       splits=[1, 1], seeds=[2, 2, 3])
    assert grid.methods == ("unet", "sdnet") and grid.fractions == (1.0, 0.5)
    assert grid.splits == (1,) and grid.seeds == (2, 3)
    assert len(grid.specs()) == 2 * 2 * 2
    assert grid.specs()[0].method == "unet" and grid.specs()[0].fraction == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"methods": ["vae"]}, "unknown method"),
    ({"fractions": [0]}, "outside"),
    ({"fractions": [1.5]}, "outside"),
    ({"splits": [3], "num_splits": 3}, r"do not exist: choose from \[0, 1, 2\]"),
    ({"variants": ["C5"]}, "unknown variant"),
    ({"seeds": [-1]}, "non-negative"),
])
def test_bad_axes_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        select_grid(EXP, "quick", **kwargs)


def test_quick_seeds_stand_in_under_the_quick_preset():
    import dataclasses

    exp = dataclasses.replace(EXP, seeds=(1, 2, 3), quick_seeds=(1,))
    assert select_grid(exp, "quick").seeds == (1,) and select_grid(exp, "paper").seeds == (1, 2, 3)
    assert select_grid(exp, "quick", seeds=[2, 3]).seeds == (2, 3)


def test_a_variant_restricted_to_some_fractions_runs_only_there_beside_the_unchanged_model():
    import dataclasses

    exp = dataclasses.replace(EXP, methods=("sdnet",), variants={"": {}, "no_rounding": {"rounding": False}},
                              variant_fractions={"no_rounding": (1.0,)})
    names = [s.name for s in select_grid(exp, "paper", splits=[0]).specs()]
    assert names == ["sdnet/l1/split0", "sdnet_no_rounding/l1/split0", "sdnet/l0.5/split0"]


def test_a_variant_restricted_to_some_methods_runs_for_those_only():
    import dataclasses

    exp = dataclasses.replace(EXP, variants={"a": {}, "b": {}}, variant_methods={"b": ("sdnet",)})
    specs = select_grid(exp, "quick", methods=["unet", "sdnet"]).specs()
    assert sorted((s.method, s.variant) for s in specs) == [("sdnet", "a"), ("sdnet", "b"), ("unet", "a")]


def test_candidates_run_on_the_tuning_seed_and_the_chosen_one_on_the_others():
    import dataclasses

    exp = dataclasses.replace(EXP, methods=("unet",), seeds=(4, 5), variants={"lr1": {}, "lr2": {}, "plain": {}},
                              candidates={"lr1": "lr", "lr2": "lr"})
    grid = select_grid(exp, "paper", fractions=[1.0], splits=[0])
    assert grid.tuning_seed == 4 and len(grid.all_specs()) == 6
    names = [s.name for s in grid.specs()]
    assert names == ["unet_lr1/l1/split0_seed4", "unet_lr2/l1/split0_seed4",
                     "unet_plain/l1/split0_seed4", "unet_plain/l1/split0_seed5"]
    assert grid.waiting() == ["unet_lr_<chosen>/l1/split0_seed5"]
    chosen = {("unet", "lr", 1.0): "lr2"}
    assert "unet_lr2/l1/split0_seed5" in [s.name for s in grid.specs(chosen)] and not grid.waiting(chosen)
    assert "unet_lr1/l1/split0_seed5" not in [s.name for s in grid.specs(chosen)]


def test_the_cpu_preset_runs_the_declared_grid_the_quick_one_its_small_grid():
    assert select_grid(EXP, "cpu").fractions == (1.0, 0.5) and select_grid(EXP, "tiny").fractions == (1.0,)
