"""An experiment's grid: the axes the flags select (checked, duplicates merged), and the runs
they make, in the order of the published table."""
from __future__ import annotations

from dataclasses import dataclass

from sdnet.config import SMALL_GRID_PRESETS
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
    candidates: tuple = ()             # (variant, setting) pairs: candidates chosen on the tuning seed

    @property
    def tuning_seed(self) -> int:
        """The seed every candidate runs on; the other seeds run the chosen candidate only."""
        return self.seeds[0]

    def all_specs(self) -> list:
        """Every run of the grid, every candidate at every seed (what the chosen ones are among)."""
        fractions_of, methods_of = dict(self.variant_fractions), dict(self.variant_methods)
        return [RunSpec(m, f, s, seed, v) for f in self.fractions for m in self.methods for v in self.variants
                if (v not in fractions_of or f in fractions_of[v]) and (v not in methods_of or m in methods_of[v])
                for s in self.splits for seed in self.seeds]

    def candidate_key(self, spec):
        """(method, setting, fraction) when the spec's variant is a candidate, else None."""
        setting = dict(self.candidates).get(spec.variant)
        return None if setting is None else (spec.method, setting, spec.fraction)

    def tuning_specs(self) -> dict:
        """{candidate key: the tuning seed's runs of every candidate of that setting}."""
        found = {}
        for spec in self.all_specs():
            key = self.candidate_key(spec)
            if key is not None and spec.seed == self.tuning_seed:
                found.setdefault(key, []).append(spec)
        return found

    def specs(self, chosen=None) -> list:
        """The runs to make: every run outside the candidates; every candidate on the tuning seed;
        on the other seeds, the candidate `chosen` names ({candidate key: variant}); a setting
        not yet chosen runs nothing there yet (`waiting`)."""
        chosen = chosen or {}
        return [s for s in self.all_specs()
                if self.candidate_key(s) is None or s.seed == self.tuning_seed
                or chosen.get(self.candidate_key(s)) == s.variant]

    def waiting(self, chosen=None) -> list:
        """Names of the runs that wait for their setting to be chosen on the tuning seed."""
        chosen = chosen or {}
        waits = {}
        for s in self.all_specs():
            key = self.candidate_key(s)
            if key is not None and s.seed != self.tuning_seed and key not in chosen:
                waits[(key, s.split, s.seed)] = (f"{s.method}_{key[1]}_<chosen>/l{s.fraction:g}/"
                                                f"split{s.split}_seed{s.seed}")
        return list(waits.values())


def select_grid(exp: Experiment, preset, methods=None, fractions=None, splits=None, seeds=None, variants=None,
                num_splits=None) -> Grid:
    """The grid of the flags (None: the experiment's default, or its quick grid under the presets
    that check the pipeline, `SMALL_GRID_PRESETS`); ValueError naming the bad value."""
    quick = preset in SMALL_GRID_PRESETS

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
    candidates = tuple((v, exp.candidates[v]) for v in variants if v in exp.candidates)
    return Grid(tuple(methods), tuple(fractions), tuple(splits), tuple(seeds), tuple(variants), restricted,
                for_methods, candidates)
