"""Preprocessing workers never outlive the process that started them."""
import os
import signal
import subprocess
import sys
import time

CHILD = """
import os, sys, time
from sdnet.data.workers import map_in_workers

def job(folder, i):
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(120)

map_in_workers(job, [(sys.argv[1], i) for i in range(4)], 2, "test")
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:          # a zombie waits for its parent's reaper only
        return f.read().split()[2] != "Z"


def test_killing_the_parent_during_preprocessing_leaves_no_worker_behind(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)])
    deadline = time.time() + 120
    while len(os.listdir(tmp_path)) < 2 and time.time() < deadline:
        time.sleep(0.2)
    workers = [int(p) for p in os.listdir(tmp_path)]
    assert len(workers) == 2 and all(alive(p) for p in workers)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while any(alive(p) for p in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in workers)
