"""Preprocessing in worker processes that never outlive the process that started them.

A forked worker inherits the pipe it reads its jobs from, so when the parent is killed
(SIGKILL, or SIGTERM without cleanup) it would wait forever: each worker watches its parent
and exits when the parent is gone.
"""
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from sdnet.progress import progress


def _exit_with_parent(parent_pid, interval_s=0.5):
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def map_in_workers(fn, jobs, workers, description):
    """[fn(*job) for job in jobs], in `workers` processes when there is more than one job, with a
    progress bar."""
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            return list(progress(pool.map(fn, *zip(*jobs)), total=len(jobs), desc=description))
    return [fn(*job) for job in progress(jobs, desc=description)]
