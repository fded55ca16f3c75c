"""docs/ARCHITECTURE.md cannot drift: every module on disk is in its tree and every module of the
tree is on disk; every dotted name and script it names exists; every experiment script is mapped."""
import importlib
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
TEXT = open(os.path.join(ROOT, "docs", "ARCHITECTURE.md")).read()


def module_tree() -> dict:
    """{package folder ("" for sdnet/ itself): module file names listed under it}."""
    block = TEXT.split("```")[1]
    listed, folder = {}, None
    for line in block.splitlines():
        if line.startswith("sdnet/"):
            folder = ""
            continue
        if not line.startswith("  ") and line.strip():      # experiments/, tests/: outside the package
            folder = None
            continue
        top = re.match(r"^  (\w+)/", line)
        if top:
            folder = top.group(1)
        elif re.match(r"^  \w", line):
            folder = ""
        if folder is not None:
            listed.setdefault(folder, set()).update(re.findall(r"\b(\w+)\.py\b", line))
    return listed


def modules_on_disk() -> dict:
    found = {}
    for path, _, files in os.walk(os.path.join(ROOT, "sdnet")):
        folder = os.path.relpath(path, os.path.join(ROOT, "sdnet"))
        for f in files:
            if f.endswith(".py"):
                found.setdefault("" if folder == "." else folder, set()).add(f[:-3])
    return found


def test_the_module_tree_lists_every_module_and_only_modules_that_exist():
    listed, on_disk = module_tree(), modules_on_disk()
    missing = {f"{folder}/{m}" for folder, ms in on_disk.items() for m in ms - listed.get(folder, set())
               if m != "__init__"}
    invented = {f"{folder}/{m}" for folder, ms in listed.items() for m in ms - on_disk.get(folder, set())}
    assert not missing, f"modules not in ARCHITECTURE.md: {sorted(missing)}"
    assert not invented, f"ARCHITECTURE.md names modules that do not exist: {sorted(invented)}"


@pytest.mark.parametrize("name", sorted(set(re.findall(r"`(sdnet(?:\.\w+)+)", TEXT))))
def test_every_dotted_name_exists(name):
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
            break
        except ModuleNotFoundError:
            continue
    for attribute in parts[cut:]:
        assert hasattr(target, attribute), name
        target = getattr(target, attribute)


def test_every_experiment_script_is_mapped_and_every_named_script_exists():
    named = set(re.findall(r"`experiments/(\w+\.py)`", TEXT))
    scripts = {f for f in os.listdir(os.path.join(ROOT, "experiments")) if f.endswith(".py")}
    assert named <= scripts, sorted(named - scripts)
    assert scripts <= named, f"scripts missing from the paper-to-code map: {sorted(scripts - named)}"
