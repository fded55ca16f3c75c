"""`sdnet sweep`: every run of an experiment's grid, on local GPUs or CPU workers, a Ray
cluster or SLURM; resumable by running the same command again.

    sdnet sweep table1_acdc --preset quick --executor local --workers 2 --out DIR
    sdnet sweep table1_acdc --preset paper --data ACDC/training --executor local --gpus 0,1,2,3 --out DIR
    sdnet sweep table1_acdc --preset paper --data ACDC/training --executor ray --address auto --out DIR
    sdnet sweep table1_acdc --preset paper --data ACDC/training --executor slurm --slurm-partition gpu --out DIR
    sdnet sweep status --out DIR

Every flag the experiment's script takes (--preset, --methods, --labels, --splits, --seeds,
--set, --data, ...) selects the grid. Runs already done are not submitted; runs another process
is training are left to it; failed ones are tried again. Where an experiment chooses among
candidates (a learning rate) on the tuning seed, the other seeds' runs of the chosen one follow in
a second wave. The driver loads no TensorFlow, JAX
or PyTorch. At the end, and with `status`, the report is rebuilt from whatever has finished.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys


def parser():
    p = argparse.ArgumentParser(prog="sdnet sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", help="a script of experiments/ by name (table1_acdc) or path")
    p.add_argument("--out", required=True)
    p.add_argument("--executor", choices=["local", "ray", "slurm"], default="local")
    p.add_argument("--workers", type=int, default=1, help="local: runs at a time on the CPU")
    p.add_argument("--gpus", default=None,
                   help="local: GPU indices, one run per GPU at a time (e.g. 0,1,2,3); an index repeated shares "
                        "that card (0,0,0,0: four runs at a time on GPU 0, each with a quarter of its memory)")
    p.add_argument("--address", default="auto", help="ray: auto, or ray://host:10001")
    p.add_argument("--gpus-per-run", type=float, default=1.0, help="ray and slurm")
    p.add_argument("--cpus-per-run", type=float, default=4.0, help="ray and slurm")
    p.add_argument("--max-retries", type=int, default=3, help="ray: retries of a run whose worker died")
    p.add_argument("--slurm-partition", default=None)
    p.add_argument("--slurm-time", type=int, default=24 * 60, help="minutes per job; requeued on timeout")
    p.add_argument("--slurm-parallelism", type=int, default=8, help="array tasks at a time")
    return p


def plan_sweep(args, experiment_argv):
    """(plan, script, the experiment's flags with absolute paths)."""
    from sdnet.experiments.cli import build_parser, request_from_args
    from sdnet.experiments.runner import prepare
    from sdnet.sweep.plan import absolute_paths, find_experiment_script, load_experiment

    script = find_experiment_script(args.experiment)
    exp = load_experiment(script)
    argv = absolute_paths(experiment_argv + ["--out", args.out])
    plan = prepare(exp, request_from_args(build_parser(exp).parse_args(argv)), count_disk=False)
    return plan, script, argv


def statuses_of(plan) -> list:
    """The status of every run known so far (done where --runs holds it finished), and a `waiting`
    one for each run whose candidate the tuning seed has not chosen yet."""
    from sdnet.experiments.runner import chosen_candidates, current_specs, reused_folder
    from sdnet.sweep.plan import RunStatus, status_of

    def status(spec):
        reused = reused_folder(plan, spec)
        return RunStatus(spec.name, reused, "done", f"in --runs {plan.request.runs}") if reused else \
            status_of(plan.out, spec)

    waiting = plan.grid.waiting(chosen_candidates(plan)) if plan.grid.candidates else []
    return ([status(spec) for spec in current_specs(plan)]
            + [RunStatus(name, "", "waiting", f"on the tuning seed {plan.grid.tuning_seed}'s runs")
               for name in waiting])


def print_statuses(statuses):
    counts = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
        detail = f"  ({s.detail})" if s.detail else ""
        print(f"{s.state:8s} {s.name}{detail}")
    print(f"{len(statuses)} runs: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))


def execute(args, commands, log_dir, slots) -> dict:
    """{run name: exit status} of these commands on the chosen executor."""
    from sdnet.sweep import executors

    if args.executor == "local":
        return executors.run_local(commands, log_dir, slots)
    if args.executor == "ray":
        return executors.run_ray(commands, log_dir, args.address, args.gpus_per_run, args.cpus_per_run,
                                 args.max_retries)
    return executors.run_slurm(commands, log_dir, args.slurm_partition, args.slurm_time,
                               args.slurm_parallelism, int(args.gpus_per_run), int(args.cpus_per_run))


def sweep(argv) -> int:
    from sdnet.experiments.runner import current_specs, report
    from sdnet.sweep import executors
    from sdnet.sweep.plan import record_sweep, worker_command

    args, experiment_argv = parser().parse_known_args(argv)
    if args.workers < 1:
        raise ValueError(f"--workers {args.workers}: expected a whole number of at least 1")
    slots = None
    if args.executor == "local":
        slots = executors.check_gpus(args.gpus.split(",")) if args.gpus else [None] * args.workers
    else:
        executors.require(*{"ray": ("ray", "ray"), "slurm": ("submitit", "slurm")}[args.executor])
    plan, script, argv = plan_sweep(args, experiment_argv)
    print_statuses(statuses_of(plan))
    record_sweep(plan.out, script, argv, args.executor)
    log_dir = os.path.join(plan.out, "sweep_logs")
    finished, submitted = {}, set()
    while True:     # a second wave once the tuning seed's runs have chosen the other seeds' candidates
        specs = {spec.name: spec for spec in current_specs(plan)}
        todo = [s for s in statuses_of(plan) if s.state in ("pending", "failed") and s.name not in submitted]
        if not todo:
            break
        if submitted:
            print(f"candidates chosen on the tuning seed: {len(todo)} more run(s)")
        submitted.update(s.name for s in todo)
        finished.update(execute(args, [(s.name, worker_command(script, argv, specs[s.name])) for s in todo],
                                log_dir, slots))
    if not submitted:
        print("nothing to run")
    try:
        report(plan)
    except ValueError as err:
        print(f"no report yet: {err}")
    return 0 if all(status in (0, 3, 4) for status in finished.values()) else 1


def status(argv) -> int:
    from sdnet.experiments.cli import build_parser, request_from_args
    from sdnet.experiments.runner import prepare, report
    from sdnet.sweep.plan import load_experiment, recorded_sweep

    p = argparse.ArgumentParser(prog="sdnet sweep status",
                                description="done / running / failed (with its last error) / pending per run, "
                                            "and the report rebuilt from the finished runs")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    recorded = recorded_sweep(args.out)
    exp = load_experiment(recorded["script"])
    plan = prepare(exp, request_from_args(build_parser(exp).parse_args(recorded["argv"] + ["--report-only"])))
    print_statuses(statuses_of(plan))
    if not os.access(args.out, os.W_OK):
        print(f"the report is not rebuilt: {args.out} is not writable by this user (the listing above is current)")
        return 0
    try:
        report(plan)
    except ValueError as err:
        print(f"no report yet: {err}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from sdnet.data import DataError

    try:
        return status(argv[1:]) if argv[:1] == ["status"] else sweep(argv)
    except (ValueError, DataError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
