"""The sweep's state is the filesystem: planning, a second pass, and the status of every run."""
import os

from sdnet.io import write_json
from sdnet.sweep import cli
from sdnet.sweep.plan import find_experiment_script
from sdnet.training.lock import RunLock
from sdnet.training.spec import run_path

from helpers import fake_result


def finish(out, spec, rng, best_val_dice=0.5):
    folder = run_path(out, spec)
    result = fake_result(spec.method, spec.fraction, spec.split, 0.5, rng)
    result["spec"].update(seed=spec.seed, variant=spec.variant)
    result["best_val_dice"] = best_val_dice
    write_json(os.path.join(folder, "result.json"), result)
    open(os.path.join(folder, "DONE"), "w").write("now\n")


def test_the_table1_grid_is_planned_and_a_second_pass_submits_nothing(phantom_root, tmp_path, capsys, rng):
    out = str(tmp_path / "out")
    argv = ["table1_acdc", "--preset", "paper", "--data", phantom_root, "--cache-dir", str(tmp_path / "c"),
            "--out", out]
    args, experiment_argv = cli.parser().parse_known_args(argv)
    plan, script, _ = cli.plan_sweep(args, experiment_argv)
    statuses = cli.statuses_of(plan)
    assert script == find_experiment_script("table1_acdc") and len(statuses) == 4 * 7 * 3
    assert {s.state for s in statuses} == {"pending"}
    for spec in plan.grid.specs():
        finish(out, spec, rng)
    assert cli.sweep(argv + ["--executor", "local"]) == 0
    printed = capsys.readouterr().out
    assert "84 runs: 84 done" in printed and "nothing to run" in printed
    assert os.path.exists(os.path.join(out, "report.md")) and os.path.exists(os.path.join(out, "sweep.json"))


def test_status_after_a_mix_of_done_failed_running_and_pending_runs(phantom_root, tmp_path, capsys, rng):
    out = str(tmp_path / "out")
    argv = ["table1_acdc", "--preset", "quick", "--methods", "unet", "sdnet", "--labels", "1", "--splits", "0", "1",
            "--data", phantom_root, "--cache-dir", str(tmp_path / "c"), "--out", out]
    args, experiment_argv = cli.parser().parse_known_args(argv)
    plan, script, argv_abs = cli.plan_sweep(args, experiment_argv)
    from sdnet.sweep.plan import record_sweep

    record_sweep(out, script, argv_abs, "local")
    unet0, unet1, sdnet0, sdnet1 = plan.grid.specs()        # fractions, methods, splits
    finish(out, unet0, rng)
    os.makedirs(run_path(out, sdnet0))
    open(os.path.join(run_path(out, sdnet0), "error.txt"), "w").write("DataError: patient020/ is missing\n")
    lock = RunLock(run_path(out, unet1)).acquire()
    try:
        assert cli.main(["status", "--out", out]) == 0
    finally:
        lock.release()
    printed = capsys.readouterr().out
    assert "done     unet/l1/split0" in printed
    assert "failed   sdnet/l1/split0  (DataError: patient020/ is missing)" in printed
    assert f"running  unet/l1/split1  (process {os.getpid()}" in printed
    assert "pending  sdnet/l1/split1" in printed
    assert "4 runs: 1 done, 1 failed, 1 pending, 1 running" in printed
    assert os.path.exists(os.path.join(out, "report.md"))          # rebuilt from the finished run


def test_bad_executor_requests_are_refused(tmp_path, capsys, monkeypatch):
    from sdnet.sweep import executors

    monkeypatch.setattr(executors, "visible_gpus", lambda: ["0", "1"])
    assert cli.main(["table1_acdc", "--gpus", "0,7", "--out", str(tmp_path)]) == 2
    assert "GPU(s) ['7'] do not exist here" in capsys.readouterr().err
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    assert cli.main(["table1_acdc", "--executor", "ray", "--out", str(tmp_path)]) == 2
    assert 'pip install "sdnet[ray]"' in capsys.readouterr().err
    assert cli.main(["no_such_experiment", "--out", str(tmp_path)]) == 2
    assert "no experiment 'no_such_experiment'" in capsys.readouterr().err
    for workers in ("0", "-4"):
        assert cli.main(["table1_acdc", "--workers", workers, "--out", str(tmp_path)]) == 2
        assert f"--workers {workers}: expected a whole number of at least 1" in capsys.readouterr().err


def test_a_second_wave_runs_the_rate_the_tuning_seed_chose(phantom_root, tmp_path, capsys, monkeypatch, rng):
    out = str(tmp_path / "out")
    argv = ["table1_equal_terms", "--preset", "cpu", "--methods", "unet", "--labels", "0.015", "--seeds", "1", "2",
            "--variants", "equal_lr0.0001", "equal_lr0.001", "--data", phantom_root, "--cache-dir",
            str(tmp_path / "c"), "--out", out, "--executor", "local"]
    validation = {"equal_lr0.0001": 0.7, "equal_lr0.001": 0.6}
    waves = []

    def execute(args, commands, log_dir, slots):      # each submitted run finishes at once
        names = [name for name, _ in commands]
        waves.append(names)
        plan, _, _ = cli.plan_sweep(*cli.parser().parse_known_args(argv))
        for spec in plan.grid.all_specs():
            if spec.name in names:
                finish(out, spec, rng, validation[spec.variant])
        return {name: 0 for name in names}

    monkeypatch.setattr(cli, "execute", execute)
    assert cli.sweep(argv) == 0
    assert waves == [["unet_equal_lr0.0001/l0.015/split0", "unet_equal_lr0.001/l0.015/split0"],
                     ["unet_equal_lr0.0001/l0.015/split0_seed2"]]
    printed = capsys.readouterr().out
    assert "waiting  unet_equal_<chosen>/l0.015/split0_seed2  (on the tuning seed 1's runs)" in printed
    assert "candidates chosen on the tuning seed: 1 more run(s)" in printed


def test_the_driver_plans_a_grid_with_candidates_without_loading_a_backend(phantom_root, tmp_path):
    import subprocess
    import sys

    code = ("import sys\nfrom sdnet.sweep import cli\n"
            f"argv = ['table1_equal_terms', '--preset', 'cpu', '--methods', 'unet', '--labels', '0.015', '--seeds', "
            f"'1', '2', '--data', {phantom_root!r}, '--cache-dir', {str(tmp_path / 'c')!r}, '--out', "
            f"{str(tmp_path / 'out')!r}]\n"
            "plan, _, _ = cli.plan_sweep(*cli.parser().parse_known_args(argv))\n"
            "cli.print_statuses(cli.statuses_of(plan))\n"
            "print('loaded:', sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "waiting  unet_equal_<chosen>/l0.015/split0_seed2" in done.stdout
    assert "loaded: []" in done.stdout


def test_runs_recorded_elsewhere_count_as_done_and_choose_the_second_wave(phantom_root, tmp_path, capsys, monkeypatch,
                                                                          rng):
    from sdnet.experiments.runner import run_config
    from sdnet.training.run import describe_run

    record, out = str(tmp_path / "record"), str(tmp_path / "out")
    argv = ["table1_equal_terms", "--preset", "cpu", "--methods", "unet", "--labels", "0.015", "--seeds", "1", "2",
            "--variants", "equal_lr0.0001", "equal_lr0.001", "--data", phantom_root, "--cache-dir",
            str(tmp_path / "c"), "--executor", "local"]
    plan, _, _ = cli.plan_sweep(*cli.parser().parse_known_args(argv + ["--out", record]))
    for spec, level in zip(plan.grid.tuning_specs()[("unet", "equal", 0.015)], (0.6, 0.7)):   # another machine's
        write_json(os.path.join(run_path(record, spec), "run.json"), describe_run(spec, run_config(plan, spec),
                                                                                   plan.loader))
        finish(record, spec, rng, level)
    commands = []
    monkeypatch.setattr(cli, "execute", lambda args, todo, log_dir, slots: commands.extend(todo) or
                        {name: 0 for name, _ in todo})
    monkeypatch.chdir(tmp_path)
    assert cli.sweep(argv + ["--out", out, "--runs", "record"]) == 0
    printed = capsys.readouterr().out
    assert f"done     unet_equal_lr0.0001/l0.015/split0  (in --runs {record})" in printed
    ((name, command),) = commands                  # the chosen rate's second seed alone
    assert name == "unet_equal_lr0.001/l0.015/split0_seed2"
    assert command[command.index("--runs") + 1] == record        # absolute: a worker may start elsewhere


def test_status_of_a_missing_folder_or_of_a_folder_without_a_sweep_names_which(tmp_path, capsys):
    assert cli.main(["status", "--out", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: folder not found" in capsys.readouterr().err
    assert cli.main(["status", "--out", str(tmp_path)]) == 2
    assert "no sweep.json" in capsys.readouterr().err
