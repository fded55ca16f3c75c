"""The prepared GPU job runs end to end at tiny size on the phantom on a CPU, so that no device
time is spent on a broken script."""
import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.mark.slow
@pytest.mark.long     # the prepared GPU job end to end (2 min on 2 cores): .ci/run runs it, the README command does not
def test_the_gpu_job_benchmarks_trains_and_reports_within_its_budget(phantom_root, tmp_path):
    # a budget a loaded 2-core machine keeps to: at 150 s the one-epoch probe of a process that
    # must first import TensorFlow took its whole share beside two training runs
    out = tmp_path / "job"
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "gpu_job.py"), "--preset", "tiny",
                           "--budget-s", "300", "--max-epochs", "2", "--out", str(out), "--runs", "unet:1",
                           "--backend", "tensorflow", "--data", phantom_root],
                          capture_output=True, text=True, timeout=700,
                          env={**os.environ, "SDNET_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| tiny | float32 |" in done.stdout or "benchmark cut" in done.stdout
    assert "unet at 1: one-epoch probe" in done.stdout
    assert glob.glob(str(out / "table1_unet_l1" / "runs" / "unet" / "l1" / "split0" / "training_log.csv"))
    assert os.path.exists(out / "table1_unet_l1" / "report.md") and "| U-Net mean |" in done.stdout
