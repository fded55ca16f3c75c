"""The prepared job that runs an experiment's grid on a lent GPU in one call: `sdnet sweep` with
several runs sharing the card, stopped at a wall-time budget, and what must come back packed into
the few flat files the device tool returns (at most 8, 16 MiB each, 2 folders deep): the report,
and one archive of every run's small files (run.json, result.json, training_log.csv, test
scores, errors) and the sweep's logs. Weights and checkpoints stay there: a checkpoint of the
`cpu` preset is 25 MB a run, so runs must finish within the call to count.

    # here, once: the data at the size the runs read, and wheels for what the machine lacks
    python data_prep/compact_acdc.py ../shared/data/ACDC/training device_cache/ACDC_128 --image-size 128
    # the device call (JAX there): the equal-terms grid, twelve runs at a time on the card
    python benchmarks/gpu_sweep.py table1_equal_terms --out $OUT --budget-s 540 --slots 12 \\
        --wheels device_cache/wheels -- --preset cpu --data device_cache/ACDC_128 --labels 0.015 1 --seeds 1 2 3
    # here, after it: unpack and read
    tar -xzf FILES_AT/runs.tar.gz -C results/ && cat FILES_AT/report.md

Without a GPU the same job runs with CPU workers (what its test does at tiny size). The flags
after `--` are the experiment's own (`sdnet sweep EXPERIMENT --help`).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SMALL_FILES = (".json", ".csv", ".txt", ".log", ".md", "DONE")     # what comes back of a run folder
LIMIT_BYTES = 16 * 2 ** 20


def sweep_command(args, experiment_argv, work) -> list:
    from sdnet.sweep.executors import visible_gpus

    first = (visible_gpus() or [None])[0]
    slots = (["--gpus", ",".join([first] * args.slots)] if first is not None else ["--workers", str(args.slots)])
    return [sys.executable, "-m", "sdnet.cli", "sweep", args.experiment, "--executor", "local", *slots,
            "--out", work, *(["--backend", args.backend] if args.backend else []), *experiment_argv]


def run_within(command, budget_s, log_path) -> str:
    """Run the sweep; at the budget interrupt it as Ctrl-C would (its runs stop, checkpoints kept)
    and give it a minute to close. Returns how it ended."""
    with open(log_path, "a") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": ROOT, "PYTHONUNBUFFERED": "1"})
        try:
            status = process.wait(timeout=max(budget_s, 1))
            return f"finished (exit status {status})"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            return f"stopped at the budget ({budget_s:.0f} s); unfinished runs are in the archive with their logs"


def pack(work, out) -> list:
    """report.md and runs.tar.gz (every small file under `work`, paths kept) into `out`; the
    archive refused past the device tool's 16 MiB a file."""
    written = []
    if os.path.exists(os.path.join(work, "report.md")):
        shutil.copy(os.path.join(work, "report.md"), os.path.join(out, "report.md"))
        written.append("report.md")
    archive = os.path.join(out, "runs.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        for folder, _, files in os.walk(work):
            for name in sorted(files):
                if name.endswith(SMALL_FILES):
                    path = os.path.join(folder, name)
                    tar.add(path, arcname=os.path.relpath(path, os.path.dirname(work)))
    if os.path.getsize(archive) > LIMIT_BYTES:
        raise SystemExit(f"{archive}: {os.path.getsize(archive) / 2 ** 20:.1f} MiB, over the 16 MiB a returned "
                         "file may have")
    return written + ["runs.tar.gz"]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, experiment_argv = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", help="a script of experiments/ by name, e.g. table1_equal_terms")
    p.add_argument("--out", required=True, help="where the returned files go ($OUT on the device)")
    p.add_argument("--work", default=None, help="the sweep's output folder (default: a folder beside --out)")
    p.add_argument("--budget-s", type=float, default=540.0, help="wall seconds for the sweep")
    p.add_argument("--slots", type=int, default=8, help="runs at a time (on the first GPU when one is visible)")
    p.add_argument("--backend", default=None, help="default: jax where TensorFlow is absent")
    p.add_argument("--wheels", default=None, help="a folder of wheels for what is not installed")
    args = p.parse_args(ours)
    if args.slots < 1:
        p.error(f"--slots {args.slots}: expected at least 1")
    sys.path[:0] = [HERE, ROOT]          # gpu_job beside it; sdnet where it is not installed
    from gpu_job import default_backend, install_missing

    install_missing(args.wheels)
    args.backend = args.backend or default_backend()
    work = os.path.abspath(args.work or os.path.join(os.path.dirname(os.path.abspath(args.out)),
                                                     f"{args.experiment}_sweep"))
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    start = time.time()
    ended = run_within(sweep_command(args, experiment_argv, work), args.budget_s,
                       os.path.join(work, "sweep.log"))
    print(f"sweep {ended} after {time.time() - start:.0f} s", flush=True)
    subprocess.run([sys.executable, "-m", "sdnet.cli", "sweep", "status", "--out", work],
                   stdout=open(os.path.join(work, "status.txt"), "w"), stderr=subprocess.STDOUT,
                   env={**os.environ, "PYTHONPATH": ROOT, "KERAS_BACKEND": args.backend})
    print(open(os.path.join(work, "status.txt")).read().strip()[-3000:], flush=True)
    print("returned: " + ", ".join(pack(work, args.out)), flush=True)


if __name__ == "__main__":
    main()
