"""Sweeps beyond one process: every run of a grid on local GPUs, a Ray cluster or SLURM."""
