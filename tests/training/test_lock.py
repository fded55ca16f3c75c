"""One process per run: a live lock refuses, a stale one is taken over."""
import json
import os
import socket
import subprocess
import sys

import pytest

from sdnet.training.lock import RunLock, RunLocked


def test_a_second_worker_is_refused_until_the_first_releases(tmp_path):
    folder = str(tmp_path / "split0")
    with RunLock(folder):
        assert os.path.exists(folder + ".lock")
        with pytest.raises(RunLocked, match=f"process {os.getpid()} on {socket.gethostname()}"):
            RunLock(folder).acquire()
    assert not os.path.exists(folder + ".lock")
    RunLock(folder).acquire().release()


def test_the_lock_of_a_dead_process_is_taken_over_and_logged(tmp_path, caplog):
    folder = str(tmp_path / "split0")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with open(folder + ".lock", "w") as f:
        json.dump({"pid": int(dead.stdout), "host": socket.gethostname(), "started": "earlier"}, f)
    with RunLock(folder):
        assert json.load(open(folder + ".lock"))["pid"] == os.getpid()
    assert "stale lock" in caplog.text


def test_a_lock_whose_heartbeat_stopped_is_stale_on_any_host(tmp_path):
    folder = str(tmp_path / "split0")
    with open(folder + ".lock", "w") as f:
        json.dump({"pid": 1, "host": "another-node", "started": "earlier"}, f)
    with pytest.raises(RunLocked, match="another-node"):
        RunLock(folder, stale_s=300).acquire()
    old = os.path.getmtime(folder + ".lock") - 600
    os.utime(folder + ".lock", (old, old))
    RunLock(folder, stale_s=300).acquire().release()


def test_the_heartbeat_keeps_a_long_run_alive(tmp_path):
    import time

    folder = str(tmp_path / "split0")
    lock = RunLock(folder, heartbeat_s=0.05, stale_s=300).acquire()
    before = os.path.getmtime(folder + ".lock")
    time.sleep(0.3)
    assert os.path.getmtime(folder + ".lock") > before
    lock.release()


@pytest.mark.parametrize("content", ["", "{garbled", "[1, 2]"])
def test_an_unreadable_lock_is_live_while_fresh_and_stale_after_the_heartbeat_limit(tmp_path, content):
    folder = str(tmp_path / "split0")
    with open(folder + ".lock", "w") as f:
        f.write(content)
    with pytest.raises(RunLocked, match="unreadable"):
        RunLock(folder, stale_s=300).acquire()
    old = os.path.getmtime(folder + ".lock") - 400
    os.utime(folder + ".lock", (old, old))
    with RunLock(folder, stale_s=300):                  # taken over, as a silent owner's would be
        assert json.load(open(folder + ".lock"))["pid"] == os.getpid()
