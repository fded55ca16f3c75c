"""`Experiment`: what a paper result is, as data: the data set (the phantom in its layout when
no --data is given), the published table it stands beside, the grid axes it sweeps and the
smaller grid `--preset quick` runs, the candidates chosen on validation."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from sdnet.data.acdc import ACDC
from sdnet.data.base import DataSource
from sdnet.reporting.published import PublishedTable


@dataclass(frozen=True)
class Experiment:
    name: str                                   # results/<name>_<preset> by default
    title: str
    methods: tuple                              # method names, in the table's order
    fractions: tuple                            # labelled fractions of the training subjects
    dataset: DataSource = ACDC
    published: Optional[PublishedTable] = None
    splits: tuple = (0, 1, 2)
    seeds: tuple = (1,)
    variants: dict = field(default_factory=dict)   # variant name -> configuration changes (a grid axis;
                                                   # "" may name the unchanged configuration among them)
    variant_fractions: dict = field(default_factory=dict)  # variant name -> the only fractions it runs at
    variant_methods: dict = field(default_factory=dict)    # variant name -> the only methods it runs for
    overrides: dict = field(default_factory=dict)  # configuration changes of every run
    quick_overrides: dict = field(default_factory=dict)   # and of every run of `--preset quick`
    # method name -> changes of that method's runs under `--preset quick` (e.g. an equal budget)
    quick_method_overrides: dict = field(default_factory=dict)
    # the grid `--preset quick` runs when no flag narrows it (minutes on a CPU); () = the full axis
    quick_methods: tuple = ()
    quick_fractions: tuple = ()
    quick_splits: tuple = (0,)
    quick_seeds: tuple = ()
    quick_variants: tuple = ()
    # the modality tags the variants' `modality_fractions` name, e.g. ("MR", "CT") for Table 3: data
    # with other tags (cine and LGE) take these roles in the order of --data (see `modality_roles`)
    modality_roles: tuple = ()
    # variant name -> the setting it is a candidate of (e.g. "equal_lr0.001" -> "equal"): the
    # candidates of a setting all run on the first seed of the grid, the one with the highest mean
    # best-validation Dice there on the other seeds (`sdnet.training.tuning`)
    candidates: dict = field(default_factory=dict)
    # after the runs: analyse(plan, {RunSpec: finished run folder}) -> markdown lines added to
    # report.md (figures written beside it): what a paper result shows beyond the Dice table
    analyse: Optional[Callable] = None
