"""Executors: local slots with their own GPU each, Ray retrying a task whose worker died,
submitit's local executor."""
import json
import os
import sys

import pytest

from sdnet.sweep.executors import run_local, run_ray, run_slurm

RECORD = ("import json, os, sys, time; start = time.time(); time.sleep(1.5); "
          "json.dump({'gpu': os.environ.get('CUDA_VISIBLE_DEVICES'), 'start': start, 'end': time.time()}, "
          "open(sys.argv[1], 'w'))")


def test_local_slots_run_concurrently_each_on_its_own_gpu(tmp_path, capsys):
    commands = [(f"run{i}", [sys.executable, "-c", RECORD, str(tmp_path / f"run{i}.json")]) for i in range(2)]
    assert run_local(commands, str(tmp_path / "logs"), slots=["0", "1"]) == {"run0": 0, "run1": 0}
    a, b = (json.load(open(tmp_path / f"run{i}.json")) for i in range(2))
    assert {a["gpu"], b["gpu"]} == {"0", "1"}
    assert a["start"] < b["end"] and b["start"] < a["end"]            # they overlapped
    printed = capsys.readouterr().out
    assert "run0: started on GPU 0" in printed and "run1: finished after" in printed


def test_runs_sharing_a_gpu_split_its_memory(tmp_path, monkeypatch):
    """JAX takes 75 % of a card per process by default: two runs on one GPU would fail without
    a share each. A share the user set is kept; a GPU of its own needs none."""
    from sdnet.sweep.executors import gpu_share_env

    monkeypatch.delenv("XLA_PYTHON_CLIENT_MEM_FRACTION", raising=False)
    record = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    commands = [(f"run{i}", [sys.executable, "-c", record, str(tmp_path / f"run{i}.json")]) for i in range(3)]
    assert run_local(commands, str(tmp_path / "logs"), slots=["0", "0", "0"]) == {f"run{i}": 0 for i in range(3)}
    env = json.load(open(tmp_path / "run2.json"))
    assert env["CUDA_VISIBLE_DEVICES"] == "0" and env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.300"
    assert gpu_share_env(["0", "1"], "0") == {} and gpu_share_env([None, None], None) == {}
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.1")
    assert "XLA_PYTHON_CLIENT_MEM_FRACTION" not in gpu_share_env(["0", "0"], "0")


def test_cpu_workers_share_the_cores_out(tmp_path, monkeypatch):
    """Two runs on two cores get a thread each, not a pool as large as the machine each; a
    setting the user made is kept."""
    from sdnet.sweep.executors import THREAD_VARIABLES, cpu_share_env

    for key in THREAD_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    record = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))"
    commands = [(f"run{i}", [sys.executable, "-c", record, str(tmp_path / f"run{i}.json")]) for i in range(2)]
    assert run_local(commands, str(tmp_path / "logs"), slots=[None, None]) == {"run0": 0, "run1": 0}
    env = json.load(open(tmp_path / "run1.json"))
    assert [env[key] for key in THREAD_VARIABLES] == ["1", "1", "1"] and "CUDA_VISIBLE_DEVICES" not in env
    assert cpu_share_env([None]) == {key: "2" for key in THREAD_VARIABLES}
    assert cpu_share_env([None] * 3) == {key: "1" for key in THREAD_VARIABLES}      # never none
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert "OMP_NUM_THREADS" not in cpu_share_env([None, None])


def test_a_failed_run_is_reported_and_the_others_go_on(tmp_path, capsys):
    commands = [("bad", [sys.executable, "-c", "raise SystemExit(5)"]), ("good", [sys.executable, "-c", "pass"])]
    assert run_local(commands, str(tmp_path), slots=[None]) == {"bad": 5, "good": 0}
    assert "bad: FAILED (exit 5)" in capsys.readouterr().out


@pytest.mark.slow
def test_ray_retries_a_task_whose_worker_dies(tmp_path):
    ray = pytest.importorskip("ray")
    marker = tmp_path / "died_once"
    dies_once = ["sh", "-c", f"test -e {marker} || {{ touch {marker}; kill -9 $PPID; }}"]
    try:
        statuses = run_ray([("dies_once", dies_once), ("fine", [sys.executable, "-c", "pass"])], str(tmp_path / "logs"),
                           num_gpus=1, num_cpus=1, max_retries=1,
                           init_kwargs={"num_cpus": 2, "num_gpus": 2, "include_dashboard": False})
    finally:
        ray.shutdown()
    assert statuses == {"dies_once": 0, "fine": 0} and marker.exists()


@pytest.mark.slow
def test_submitit_local_executor_runs_every_task(tmp_path):
    pytest.importorskip("submitit")
    commands = [(f"run{i}", [sys.executable, "-c", f"open({str(tmp_path / f'out{i}')!r}, 'w').write('ok')"])
                for i in range(2)]
    assert run_slurm(commands, str(tmp_path / "logs"), cluster="local", time_min=5) == {"run0": 0, "run1": 0}
    assert all(os.path.exists(tmp_path / f"out{i}") for i in range(2))
