"""An experiment's grid: the axes the flags select (checked, duplicates merged), and the runs
they make, in the order of the published table."""
from __future__ import annotations

from dataclasses import dataclass

from sdnet.experiments.declaration import Experiment
from sdnet.training.spec import RunSpec


def unique(values):
    """Values in their first order, duplicates (1 and 1.0 included) merged."""
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class Grid:
    methods: tuple
    fractions: tuple
    splits: tuple
    seeds: tuple
    variants: tuple = ("",)
    variant_fractions: tuple = ()      # (variant, fractions) pairs: a variant run at those fractions only
    variant_methods: tuple = ()        # (variant, methods) pairs: a variant run for those methods only

    def specs(self) -> list:
        fractions_of, methods_of = dict(self.variant_fractions), dict(self.variant_methods)
        return [RunSpec(m, f, s, seed, v) for f in self.fractions for m in self.methods for v in self.variants
                if (v not in fractions_of or f in fractions_of[v]) and (v not in methods_of or m in methods_of[v])
                for s in self.splits for seed in self.seeds]


def select_grid(exp: Experiment, preset, methods=None, fractions=None, splits=None, seeds=None, variants=None,
                num_splits=None) -> Grid:
    """The grid of the flags (None: the experiment's default, or its quick grid outside the paper
    preset); ValueError naming the bad value."""
    quick = preset != "paper"

    def default(full, small):
        return list(small) if quick and small else list(full)

    methods = unique(methods or default(exp.methods, exp.quick_methods))
    unknown = [m for m in methods if m not in exp.methods]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(exp.methods)}")
    methods = [m for m in exp.methods if m in methods]            # the table's order
    fractions = unique(float(f) for f in (fractions or default(exp.fractions, exp.quick_fractions)))
    bad = [f for f in fractions if not 0 < f <= 1]
    if bad:
        raise ValueError(f"labelled fraction(s) {bad} outside (0, 1]")
    splits = unique(splits if splits is not None else default(exp.splits, exp.quick_splits))
    if num_splits is not None:
        bad = [s for s in splits if s not in range(num_splits)]
        if bad:
            raise ValueError(f"split(s) {bad} do not exist: choose from {list(range(num_splits))}")
    seeds = unique(seeds or default(exp.seeds, exp.quick_seeds))
    if any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be non-negative, got {seeds}")
    variants = unique(variants or default(list(exp.variants) or [""], exp.quick_variants))
    unknown = [v for v in variants if v and v not in exp.variants]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; choose from {list(exp.variants)}")
    restricted = tuple((v, tuple(float(f) for f in exp.variant_fractions[v])) for v in variants
                       if v in exp.variant_fractions)
    for_methods = tuple((v, tuple(exp.variant_methods[v])) for v in variants if v in exp.variant_methods)
    return Grid(tuple(methods), tuple(fractions), tuple(splits), tuple(seeds), tuple(variants), restricted,
                for_methods)
