"""A record of an output folder's finished runs, small enough for a repository: each run's
description, training log, per-patient test scores and result, without weights or checkpoints.

A long grid outlives the machine it started on (a CPU session, a GPU lent for minutes). Its
finished runs are what must not be lost, and the record keeps them: it is an output folder in its
own right, so `--report-only --out RECORD` rebuilds the report from it, and `--runs RECORD`
continues the same grid elsewhere without training those runs again (the tuning seed's choice of
candidate is read from it too). Runs still training are left out, and each copied run's DONE
marker is written last: an interrupted copy holds no run that looks finished and is not.

    sdnet archive OUT RECORD
"""
from __future__ import annotations

import glob
import os
import shutil

from sdnet.experiments.runner import recorded_settings
from sdnet.io import write_json
from sdnet.training.folder import RunFolder, differing_keys, identity

RECORD_FILES = ("run.json", "training_log.csv", "result.json")      # then test_scores_*.csv, DONE last


def run_folders_of(out) -> list:
    """Every run folder under `out`/runs (those set aside under .replaced/ are not runs of it)."""
    return sorted(os.path.dirname(p) for p in glob.glob(os.path.join(out, "runs", "*", "*", "*", "run.json")))


def record_files(folder) -> list:
    names = [n for n in RECORD_FILES if os.path.exists(os.path.join(folder, n))]
    return names + sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "test_scores_*.csv")))


def check_archive_folders(out, record):
    """The output folder exists and is one; the record is neither inside it nor around it, and holds
    (if anything) the runs of the same configuration and data."""
    if not os.path.isdir(out):
        raise ValueError(f"{out}: folder not found (expected an experiment's output folder, its --out)")
    settings = recorded_settings(out)
    if settings is None:
        raise ValueError(f"{out}: no experiment.json, not an experiment's output folder (its --out)")
    a, b = os.path.realpath(out), os.path.realpath(record)
    if a == b or b.startswith(a + os.sep) or a.startswith(b + os.sep):
        raise ValueError(f"{record}: the record must be a folder outside {out}, and not around it")
    if os.path.exists(record) and not os.path.isdir(record):
        raise ValueError(f"{record}: a file, not a folder")
    theirs = recorded_settings(record) if os.path.isdir(record) else None
    if theirs is None and os.path.isdir(record) and os.listdir(record):
        raise ValueError(f"{record}: a folder with other content (no experiment.json); choose a new or empty one")
    if theirs is not None:
        differing = differing_keys(theirs, settings)
        if differing:
            raise ValueError(f"{record} records runs of another configuration or data (differing: "
                             f"{', '.join(differing)}); choose another folder")
    return settings


def archive(out, record) -> dict:
    """Copy the record of every finished run of `out` into `record`. Returns {"copied": [...],
    "present": [...] (already recorded), "unfinished": [...]}, run folders relative to `out`.
    Raises ValueError before copying anything if the record holds another run under a run's name."""
    settings = check_archive_folders(out, record)
    copied, present, unfinished, plan = [], [], [], []
    for folder in run_folders_of(out):
        name = os.path.relpath(folder, out)
        source, target = RunFolder(folder), RunFolder(os.path.join(record, name))
        if not source.done:
            unfinished.append(name)
            continue
        recorded = target.recorded()
        if recorded is not None:
            differing = differing_keys(identity(recorded), identity(source.recorded()))
            if differing:
                raise ValueError(f"{target.path} records another run (differing: {', '.join(differing)}); "
                                 "choose another record folder")
            if target.done:
                present.append(name)
                continue
        plan.append((name, source, target))
    os.makedirs(record, exist_ok=True)
    if recorded_settings(record) is None:
        write_json(os.path.join(record, "experiment.json"), settings)
    for name, source, target in plan:
        os.makedirs(target.path, exist_ok=True)
        for file_name in record_files(source.path):
            shutil.copy2(source.file(file_name), target.file(file_name))
        shutil.copy2(source.file("DONE"), target.file("DONE"))
        copied.append(name)
    return {"copied": copied, "present": present, "unfinished": unfinished}
