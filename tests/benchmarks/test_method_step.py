"""The per-method step benchmark prints a timed row for a method (tiny size, one process)."""
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_method_step_prints_a_positive_step_time_and_the_networks_arithmetic():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "method_step.py"), "--preset", "tiny",
                           "--methods", "unet", "--steps", "1", "--threads", "1", "--updates", "100"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    row = re.search(r"^\| unet \| \w+ \| separate \| ([0-9.]+) \| 2 \| [0-9.]+ \| \d+ \| "
                    r"unet ([0-9.]+) \(sum ([0-9.]+)\) \|$", done.stdout, re.M)
    assert row, done.stdout
    step_s, unet_gflop, total = (float(x) for x in row.groups())
    assert step_s > 0 and unet_gflop > 0 and total == unet_gflop
