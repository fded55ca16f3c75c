"""A sweep worker killed with SIGKILL mid-run: rerunning the sweep finishes the run with the
numbers of an uninterrupted one (and takes over the dead worker's lock). A U-Net run: the
mechanism is the same for every method, and SDNet's resumed state has its own test
(tests/training/test_run.py)."""
import os
import signal
import subprocess
import time

import pytest

from sdnet.io import read_json
from sdnet.sweep.executors import run_local
from sdnet.sweep.plan import worker_command
from sdnet.training.spec import RunSpec, run_path

pytestmark = pytest.mark.slow
SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "experiments", "table1_acdc.py")


def test_a_killed_run_finishes_on_rerun_as_if_never_interrupted(phantom_root, tmp_path, caplog):
    spec = RunSpec("unet", 0.06, 0)

    def command(out):
        argv = ["--preset", "tiny", "--data", phantom_root, "--cache-dir", str(tmp_path / "cache"), "--out", out,
                "--methods", "unet", "--labels", "0.06", "--splits", "0", "--set", "epochs=4", "batches_per_epoch=3", "patience=10"]
        return worker_command(os.path.abspath(SCRIPT), argv, spec)

    straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
    assert subprocess.run(command(straight), capture_output=True).returncode == 0
    worker = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = os.path.join(run_path(killed, spec), "checkpoint.npz")
    deadline = time.time() + 600
    while not os.path.exists(checkpoint) and worker.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert os.path.exists(checkpoint), "the worker finished or failed before its first checkpoint"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert os.path.exists(run_path(killed, spec) + ".lock")            # the dead worker's lock stays
    assert run_local([(spec.name, command(killed))], str(tmp_path / "logs"), slots=[None]) == {spec.name: 0}
    a, b = (read_json(os.path.join(run_path(out, spec), "result.json")) for out in (straight, killed))
    assert a["optimizer_iterations"] == b["optimizer_iterations"] and b["epochs_trained"] == 4
    for protocol, rows in a["volumes_by_weights"]["last"].items():
        for x, y in zip(rows, b["volumes_by_weights"]["last"][protocol]):
            assert x["scores"] == pytest.approx(y["scores"], abs=1e-6)
    log = open(os.path.join(tmp_path, "logs", spec.name.replace("/", "_") + ".log")).read()
    assert "stale lock" in log and "resuming at phase 0" in log
