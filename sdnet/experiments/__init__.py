"""Experiments as declarations: a script in experiments/ declares an `Experiment` and calls
`main(EXPERIMENT)`; the grid, the checks, the runs and the report are shared."""
from sdnet.experiments.declaration import Experiment
from sdnet.experiments.cli import main

__all__ = ["Experiment", "main"]
