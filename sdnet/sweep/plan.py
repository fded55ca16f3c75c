"""What a sweep has left to do, read from the filesystem alone (the only sweep state).

A run is done (DONE marker beside its result.json), running (a live lock beside its folder),
failed (error.txt, no live lock) or pending. `sweep.json` in the --out folder records the
experiment script and its flags, so `sdnet sweep status --out DIR` needs nothing else.
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import sys
from dataclasses import dataclass

from sdnet.io import read_json, write_json
from sdnet.training.folder import RunFolder
from sdnet.training.lock import RunLock, describe_owner
from sdnet.training.spec import run_path

SWEEP_FILE = "sweep.json"
PATH_FLAGS = ("--out", "--data", "--cache-dir", "--runs")


def find_experiment_script(name) -> str:
    """A script path, or the name of one in ./experiments or in the repository's experiments/."""
    if name.endswith(".py") and os.path.isfile(name):
        return os.path.abspath(name)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for folder in (os.path.join(os.getcwd(), "experiments"), os.path.join(here, "experiments")):
        path = os.path.join(folder, f"{name}.py")
        if os.path.isfile(path):
            return path
    raise ValueError(f"no experiment {name!r}: give a script path or the name of one in experiments/")


def load_experiment(script):
    """The Experiment a script declares (it is imported, not run)."""
    from sdnet.experiments import Experiment

    spec = importlib.util.spec_from_file_location(f"sdnet_experiment_{abs(hash(script))}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [v for v in vars(module).values() if isinstance(v, Experiment)]
    if len(found) != 1:
        raise ValueError(f"{script}: declares {len(found)} Experiments, a sweep needs exactly one")
    return found[0]


def absolute_paths(argv) -> list:
    """The experiment's flags with every path made absolute (workers may start elsewhere)."""
    out, previous = [], None
    for item in argv:
        if previous in PATH_FLAGS:
            item = os.path.abspath(item)
        elif "=" in item and item.split("=", 1)[0] in PATH_FLAGS:
            flag, value = item.split("=", 1)
            item = f"{flag}={os.path.abspath(value)}"
        out.append(item)
        previous = item
    return out


@dataclass
class RunStatus:
    name: str
    folder: str
    state: str              # done | running | failed | pending
    detail: str = ""


def status_of(out, spec) -> RunStatus:
    folder = run_path(out, spec)
    run = RunFolder(folder)
    if run.done:
        return RunStatus(spec.name, folder, "done")
    lock = RunLock(folder)
    held = lock.holder()
    if held is not None and not lock.is_stale(*held):
        owner, age = held
        return RunStatus(spec.name, folder, "running", describe_owner(owner) if owner else
                         f"unreadable lock {lock.path}, {age:.0f} s old: stale after {lock.stale_s:.0f} s")
    error = run.last_error()
    if error:
        return RunStatus(spec.name, folder, "failed", error)
    return RunStatus(spec.name, folder, "pending")


def worker_command(script, argv, spec) -> list:
    """The command that trains one run: the experiment's own command line, that run only."""
    return [sys.executable, script, *argv, "--only", spec.name, "--no-report"]


def record_sweep(out, script, argv, executor):
    write_json(os.path.join(out, SWEEP_FILE),
               {"script": script, "argv": argv, "executor": executor,
                "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})


def recorded_sweep(out) -> dict:
    path = os.path.join(out, SWEEP_FILE)
    if not os.path.isdir(out):
        raise ValueError(f"{out}: folder not found (the --out of an `sdnet sweep`)")
    if not os.path.exists(path):
        raise ValueError(f"{out}: no {SWEEP_FILE} (no sweep was started with this --out)")
    return read_json(path)
