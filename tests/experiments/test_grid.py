"""Grid selection: the flags' axes checked, duplicates merged, the table's order kept."""
import pytest

from sdnet.experiments import Experiment
from sdnet.experiments.grid import select_grid

EXP = Experiment(name="t", title="t", methods=("unet", "gan", "selftrain", "sdnet"), fractions=(1.0, 0.5),
                 quick_fractions=(1.0,), variants={"C4": {"anatomy_channels": 4}})


def test_defaults_are_the_quick_grid_outside_the_paper_preset():
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


def test_quick_seeds_stand_in_outside_the_paper_preset():
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
