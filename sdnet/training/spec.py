"""Which run, and where it lives: no Keras here, so grids can be listed and sweeps driven
without loading a backend."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RunSpec:
    method: str
    fraction: float
    split: int
    seed: int = 1
    variant: str = ""         # a named configuration variant of the experiment ("" = none)

    @property
    def name(self):
        variant = f"_{self.variant}" if self.variant else ""
        seed = "" if self.seed == 1 else f"_seed{self.seed}"
        return f"{self.method}{variant}/l{self.fraction:g}/split{self.split}{seed}"


def method_and_variant(method, variant) -> str:
    """The name a method's runs of a configuration variant go by (their folder, `compare`)."""
    return f"{method}_{variant}" if variant else method


def run_path(out, spec: RunSpec):
    method = method_and_variant(spec.method, spec.variant)
    seed = "" if spec.seed == 1 else f"_seed{spec.seed}"
    return os.path.join(out, "runs", method, f"l{spec.fraction:g}", f"split{spec.split}{seed}")
