"""What the README and docs/ tell a reader to type exists: every `--set KEY=VALUE` they name is a
setting the command line accepts, every relative link a file; and every results page answers first."""
import glob
import os
import re

import pytest

from sdnet.config import setting_types

ROOT = os.path.join(os.path.dirname(__file__), "..")
PAGES = sorted([os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
PLACEHOLDERS = {"key", "KEY"}        # "--set key=value" in prose
SET_FLAG = re.compile(r"--set((?:\s+[A-Za-z_][A-Za-z_0-9]*=[^\s`]+)+)")


def set_keys(text):
    return {key for group in SET_FLAG.findall(text) for key in re.findall(r"([A-Za-z_][A-Za-z_0-9]*)=", group)}


def test_the_pattern_finds_every_key_of_a_flag():
    assert set_keys("`--set train_unsupervised=false w_kl=0` and --set lr=1e-3") == {"train_unsupervised", "w_kl", "lr"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_set_key_named_in_the_docs_exists(page):
    with open(page) as f:
        unknown = set_keys(f.read()) - set(setting_types()) - PLACEHOLDERS
    assert not unknown, f"{os.path.relpath(page, ROOT)} names --set keys that do not exist: {sorted(unknown)}"


LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_relative_link_points_at_a_file_that_exists(page):
    with open(page) as f:
        targets = [t for t in LINK.findall(f.read()) if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in targets if not os.path.exists(os.path.join(os.path.dirname(page), t))]
    assert not missing, f"{os.path.relpath(page, ROOT)} links to files that do not exist: {missing}"


RESULTS = sorted(glob.glob(os.path.join(ROOT, "docs", "results", "*.md")))
NOT_RESULTS = {"README.md", "table1_protocol.md"}      # the index, and the protocol written before the runs
ANSWER = re.compile(r"^## Answer|\*\*(The recorded )?Answer", re.IGNORECASE)


@pytest.mark.parametrize("page", [p for p in RESULTS if os.path.basename(p) not in NOT_RESULTS],
                         ids=os.path.basename)
def test_every_results_page_answers_in_its_first_40_lines(page):
    with open(page) as f:
        opening = [next(f, "") for _ in range(40)]
    assert any(ANSWER.search(line) for line in opening), f"{os.path.basename(page)}: no answer in its first 40 lines"
