"""A run folder that describes itself.

    runs/<method>[_<variant>]/l<fraction>/split<k>[_seed<n>]/
      run.json           spec, full configuration, data set (structures, label codes,
                         preprocessing), package versions: written before training starts
      checkpoint.npz     everything a resumed run needs, replaced atomically every epoch
      training_log.csv   losses and diagnostics per epoch
      best/ last/        network weights (.weights.h5) and, in last/, the networks as .keras
      test_scores_<weights>.csv, result.json, then DONE (written last: the run is finished)
      error.txt          the last error of a run that failed (removed when it starts again)
    runs/.../split<k>.lock   held while a process trains the run (sdnet.training.lock)

A folder whose run.json records another run (configuration, data or spec) is never reused:
it is refused, or with `force` set aside under `.replaced/` beside it.
"""
from __future__ import annotations

import datetime
import logging
import os
import shutil

from sdnet.config import SDNetConfig
from sdnet.data.base import resolved_root
from sdnet.io import atomic_write, read_json, write_json

log = logging.getLogger("sdnet")

IDENTITY = ("spec", "config", "dataset")    # what makes two runs the same run


def identity(description: dict) -> dict:
    """The parts of a run description that decide whether a folder holds this run; the data
    set's notes and the software versions do not."""
    ident = {k: description.get(k) for k in IDENTITY}
    if isinstance(ident["dataset"], dict):
        # runs recorded before the data set named its cardiac phase used every phase
        ident["dataset"] = {"phase": "all", **{k: v for k, v in ident["dataset"].items() if k != "notes"}}
        if ident["dataset"].get("root") is not None:   # recorded as typed before roots were resolved
            ident["dataset"]["root"] = resolved_root(ident["dataset"]["root"])
    if isinstance(ident["config"], dict):
        ident["config"] = with_new_fields(ident["config"])
    return ident


def with_new_fields(config: dict) -> dict:
    """A recorded configuration completed with the fields added to SDNetConfig since it was
    recorded: their defaults keep the old behaviour, so an old run or output folder still matches."""
    return {**SDNetConfig().to_dict(), **config}


def differing_keys(a: dict, b: dict, prefix="") -> list:
    keys = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            keys += differing_keys(x, y, f"{prefix}{k}.")
        elif x != y:
            keys.append(f"{prefix}{k}")
    return keys


class RunFolder:
    def __init__(self, path):
        self.path = path

    def file(self, name):
        return os.path.join(self.path, name)

    @property
    def description_path(self):
        return self.file("run.json")

    @property
    def result_path(self):
        return self.file("result.json")

    @property
    def checkpoint_path(self):
        return self.file("checkpoint.npz")

    def weights_dir(self, which):
        folder = self.file(which)
        os.makedirs(folder, exist_ok=True)
        return folder

    def recorded(self):
        return read_json(self.description_path) if os.path.exists(self.description_path) else None

    def has_work(self):
        return any(os.path.exists(p) for p in (self.result_path, self.checkpoint_path, self.file("last")))

    def claim(self, description: dict, force: bool):
        """Make the folder this run's: check what it records, then write `description`."""
        if self.has_work():
            recorded = self.recorded()
            differing = (["(no run.json: written by an older version)"] if recorded is None
                         else differing_keys(identity(recorded), identity(description)))
            if differing:
                if not force:
                    raise ValueError(f"{self.path} holds another run (differing: {', '.join(differing)}); "
                                     "choose another --out, or pass --force to set it aside and retrain")
                self.set_aside()
        os.makedirs(self.path, exist_ok=True)
        write_json(self.description_path, description)
        if os.path.exists(self.file("error.txt")):
            os.remove(self.file("error.txt"))

    def set_aside(self):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = os.path.join(os.path.dirname(self.path), ".replaced", f"{os.path.basename(self.path)}-{stamp}")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.move(self.path, target)
        log.warning("%s held a run of another configuration: moved to %s", self.path, target)

    def finished_result(self, description: dict):
        """The result of this very run if the folder holds it finished, else None."""
        recorded = self.recorded()
        if recorded is None or not self.done:
            return None
        if differing_keys(identity(recorded), identity(description)):
            return None
        return read_json(self.result_path)

    @property
    def done(self):
        return os.path.exists(self.file("DONE")) and os.path.exists(self.result_path)

    def write_result(self, result: dict):
        """result.json, then the DONE marker: a run is finished only when both are there."""
        write_json(self.result_path, result)
        with atomic_write(self.file("DONE")) as f:
            f.write(datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds") + "\n")

    def record_error(self, err: BaseException):
        with atomic_write(self.file("error.txt")) as f:
            f.write(f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}\n")

    def last_error(self):
        path = self.file("error.txt")
        return open(path).read().strip() if os.path.exists(path) else None
