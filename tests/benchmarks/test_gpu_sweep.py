"""The prepared device job for a grid runs end to end at tiny size on a CPU: both waves of the
equal-terms grid, the report, the archive that comes back; and a budget stops it cleanly."""
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GRID = ["--", "--preset", "tiny", "--labels", "0.06", "--methods", "unet", "--variants", "equal_lr0.001",
        "equal_lr0.0003", "--set", "epochs=1", "batches_per_epoch=2"]

pytestmark = pytest.mark.slow


def job(data, tmp_path, budget_s, seeds):
    return subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "gpu_sweep.py"), "table1_equal_terms",
                           "--out", str(tmp_path / "out"), "--budget-s", str(budget_s), "--slots", "2",
                           "--backend", "tensorflow", *GRID, "--data", data, "--seeds", *seeds],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "SDNET_CACHE": str(tmp_path / "cache")})


def test_the_grid_job_runs_both_waves_and_returns_a_report_and_an_archive(phantom_root, tmp_path):
    done = job(phantom_root, tmp_path, 400, ["1", "2"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sweep finished (exit status 0)" in done.stdout and "3 runs: 3 done" in done.stdout
    assert sorted(os.listdir(tmp_path / "out")) == ["report.md", "runs.tar.gz"]
    assert "## Equal terms" in open(tmp_path / "out" / "report.md").read()
    names = tarfile.open(tmp_path / "out" / "runs.tar.gz").getnames()
    seed2 = [n for n in names if "split0_seed2/result.json" in n]
    assert len(seed2) == 1                           # the chosen rate only
    assert not [n for n in names if n.endswith(".npz") or "/best/" in n]      # no weights come back


def test_a_budget_stops_the_sweep_and_what_there_is_comes_back(phantom_root, tmp_path):
    done = job(phantom_root, tmp_path, 3, ["1"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stopped at the budget (3 s)" in done.stdout
    assert os.path.exists(tmp_path / "out" / "runs.tar.gz")
