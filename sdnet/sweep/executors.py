"""Where the runs of a sweep execute: local worker slots (one per GPU or CPU worker), a Ray
cluster, or SLURM through submitit. Each run is the experiment's own command line for that run
in a fresh process (`sdnet.sweep.plan.worker_command`): executors never import a backend, and
results travel through the shared filesystem, not the executor.

Every executor takes [(run name, command)] and a log folder, prints a line when a run starts
and finishes (with its wall time), and returns {run name: exit status}.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time

from sdnet.progress import progress

log = logging.getLogger("sdnet")
INSTALL = {"ray": 'pip install "sdnet[ray]"  (Ray core)', "slurm": 'pip install "sdnet[slurm]"  (submitit)'}


def require(module, extra):
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ValueError(f"the {extra} executor needs {module}: {INSTALL[extra]}")


def visible_gpus() -> list:
    """Indices of the NVIDIA GPUs this machine has (nvidia-smi), without importing a backend."""
    if shutil.which("nvidia-smi") is None:
        return []
    done = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True,
                          text=True)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def check_gpus(gpus) -> list:
    present = visible_gpus()
    missing = [g for g in gpus if g not in present]
    if missing:
        raise ValueError(f"--gpus {','.join(gpus)}: GPU(s) {missing} do not exist here "
                         f"(nvidia-smi lists {present or 'none'})")
    return gpus


def _finished(name, status, seconds):
    state = {0: "finished", 3: "skipped (trained by another process)",
             4: "stopped by --stop-after-epochs (resumable)"}.get(status, f"FAILED (exit {status})")
    print(f"{name}: {state} after {seconds / 60:.1f} min", flush=True)


def gpu_share_env(slots, gpu) -> dict:
    """The memory settings of a run on `gpu` when `slots` repeats that index (several runs share
    the card): JAX would otherwise take 75 % of the card for each process, and TensorFlow all of
    it, so the second run would find too little left. Each gets an equal part of 90 %; a value
    the user set wins."""
    sharing = slots.count(gpu)
    if gpu is None or sharing < 2:
        return {}
    wanted = {"XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / sharing:.3f}", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    return {key: value for key, value in wanted.items() if key not in os.environ}


THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cpu_share_env(slots) -> dict:
    """The threads of a run on a CPU worker: the machine's cores shared out among the runs at a
    time. Otherwise TensorFlow and oneDNN size their pools to the whole machine in every run, and
    k runs ask for k times the cores (docs/BENCHMARKS.md). A value the user set wins."""
    threads = str(max(1, (os.cpu_count() or 1) // len(slots)))
    return {key: threads for key in THREAD_VARIABLES if key not in os.environ}


def run_local(commands, log_dir, slots):
    """One run per slot at a time. `slots`: GPU indices (each run sees only its own through
    CUDA_VISIBLE_DEVICES; an index given k times runs k at a time on that card, each with a k-th
    of its memory) or None entries for CPU workers (each with its share of the cores). Ctrl-C stops the children (their last
    checkpoint stays; rerunning the sweep continues)."""
    os.makedirs(log_dir, exist_ok=True)
    queue, running, statuses = list(commands), {}, {}
    bar = progress(None, total=len(commands), desc="sweep")
    try:
        while queue or running:
            for slot in [s for s in range(len(slots)) if s not in running]:
                if not queue:
                    break
                name, command = queue.pop(0)
                env = dict(os.environ)
                if slots[slot] is not None:
                    env["CUDA_VISIBLE_DEVICES"] = str(slots[slot])
                    env.update(gpu_share_env(slots, slots[slot]))
                else:
                    env.update(cpu_share_env(slots))
                logfile = open(os.path.join(log_dir, name.replace("/", "_") + ".log"), "a")
                process = subprocess.Popen(command, env=env, stdout=logfile, stderr=subprocess.STDOUT)
                running[slot] = (name, process, time.time(), logfile)
                where = f"GPU {slots[slot]}" if slots[slot] is not None else f"worker {slot + 1}"
                print(f"{name}: started on {where}", flush=True)
            for slot, (name, process, start, logfile) in list(running.items()):
                if process.poll() is not None:
                    logfile.close()
                    statuses[name] = process.returncode
                    _finished(name, process.returncode, time.time() - start)
                    bar.update(1)
                    del running[slot]
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("interrupted: stopping the runs (their last checkpoints stay; rerun to continue)", flush=True)
        for name, process, _, logfile in running.values():
            process.send_signal(signal.SIGTERM)
        for name, process, _, logfile in running.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            logfile.close()
        raise
    finally:
        bar.close()
    return statuses


def _run_command(command, log_path):
    """A run in a subprocess, its output appended to `log_path`; returns the exit status."""
    with open(log_path, "a") as logfile:
        return subprocess.run(command, stdout=logfile, stderr=subprocess.STDOUT).returncode


def run_ray(commands, log_dir, address=None, num_gpus=1.0, num_cpus=1.0, max_retries=3, init_kwargs=None):
    """Ray core tasks, one per run (`num_gpus` / `num_cpus` each; Ray sets the task's
    CUDA_VISIBLE_DEVICES). A task whose worker dies is retried up to `max_retries` times; the
    rerun resumes from the run's last checkpoint."""
    require("ray", "ray")
    import ray

    os.makedirs(log_dir, exist_ok=True)
    if not ray.is_initialized():
        ray.init(**(init_kwargs or {"address": address}))
    task = ray.remote(num_gpus=num_gpus, num_cpus=num_cpus, max_retries=max_retries)(_run_command)
    started = time.time()
    pending = {task.remote(command, os.path.join(log_dir, name.replace("/", "_") + ".log")): name
               for name, command in commands}
    for name in pending.values():
        print(f"{name}: submitted", flush=True)
    statuses = {}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        name = pending.pop(ready[0])
        try:
            statuses[name] = ray.get(ready[0])
        except ray.exceptions.RayError as err:
            statuses[name] = -1
            print(f"{name}: failed in Ray: {str(err).splitlines()[0]}", flush=True)
            continue
        _finished(name, statuses[name], time.time() - started)
    return statuses


class _RunCommand:
    """A submitit job: one run. On a timeout or a preemption submitit calls `checkpoint`, which
    requeues the same command: the run resumes from its last checkpoint."""

    def __call__(self, command, log_path):
        return _run_command(command, log_path)

    def checkpoint(self, command, log_path):
        import submitit

        return submitit.helpers.DelayedSubmission(self, command, log_path)


def run_slurm(commands, log_dir, partition=None, time_min=24 * 60, parallelism=8, gpus_per_task=1,
              cpus_per_task=4, cluster=None):
    """One SLURM array job over the runs, one task per run (`cluster="local"` runs the same jobs
    as local processes, for tests)."""
    require("submitit", "slurm")
    import submitit

    os.makedirs(log_dir, exist_ok=True)
    executor = submitit.AutoExecutor(folder=os.path.join(log_dir, "submitit"), cluster=cluster)
    parameters = {"timeout_min": time_min, "slurm_array_parallelism": parallelism, "cpus_per_task": cpus_per_task}
    if cluster != "local":
        parameters.update(gpus_per_node=gpus_per_task, slurm_additional_parameters={"requeue": True})
        if partition:
            parameters["slurm_partition"] = partition
    executor.update_parameters(**parameters)
    names = [name for name, _ in commands]
    jobs = executor.map_array(_RunCommand(), [c for _, c in commands],
                              [os.path.join(log_dir, n.replace("/", "_") + ".log") for n in names])
    started, statuses = time.time(), {}
    for name, job in zip(names, jobs):
        print(f"{name}: submitted as job {job.job_id}", flush=True)
    for name, job in zip(names, jobs):
        try:
            statuses[name] = job.result()
        except Exception as err:  # noqa: BLE001 - a failed job is reported, the others go on
            statuses[name] = -1
            print(f"{name}: job failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}", flush=True)
            continue
        _finished(name, statuses[name], time.time() - started)
    return statuses
