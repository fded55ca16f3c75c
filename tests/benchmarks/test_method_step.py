"""The per-method step benchmark prints a timed row for a method (tiny size, one process)."""
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_method_step_prints_a_positive_step_time_per_method():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "method_step.py"), "--preset", "tiny",
                           "--methods", "unet", "--steps", "1", "--threads", "1", "--updates", "100"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    row = re.search(r"^\| unet \| \w+ \| separate \| ([0-9.]+) \| 2 \| [0-9.]+ \| \d+ \|$", done.stdout, re.M)
    assert row, done.stdout
    assert float(row.group(1)) > 0
