"""The repository's licence and citation files: CITATION.cff holds what the Citation File Format
1.2.0 requires (its keys, types and formats, checked here as cffconvert --validate would check
them), and agrees with setup.cfg's licence and the package's version."""
import configparser
import os
import re

import yaml

import sdnet

ROOT = os.path.join(os.path.dirname(__file__), "..")
DOI = re.compile(r"^10\.\d{4,9}(\.\d+)*/\S+$")


def _citation():
    with open(os.path.join(ROOT, "CITATION.cff")) as f:
        return yaml.safe_load(f)


def _check_authors(authors, where):
    assert isinstance(authors, list) and authors, f"{where}: authors must be a non-empty list"
    for person in authors:
        assert "name" in person or {"family-names", "given-names"} <= set(person), f"{where}: {person}"


def _check_work(work, where, required):
    assert required <= set(work), f"{where}: lacks {sorted(required - set(work))}"
    _check_authors(work["authors"], where)
    if "doi" in work:
        assert DOI.match(work["doi"]), f"{where}: doi {work['doi']!r}"
    for key in ("volume", "start", "end", "year", "issue"):
        assert key not in work or isinstance(work[key], int), f"{where}: {key} is not a whole number"


def test_citation_file_has_what_the_format_requires():
    cff = _citation()
    assert cff["cff-version"] == "1.2.0"
    _check_work(cff, "CITATION.cff", {"cff-version", "message", "title", "authors"})
    assert cff["type"] in ("software", "dataset")
    _check_work(cff["preferred-citation"], "preferred-citation", {"type", "title", "authors", "journal", "year", "doi"})
    for k, reference in enumerate(cff["references"]):
        _check_work(reference, f"references[{k}]", {"type", "title", "authors"})
    assert cff["preferred-citation"]["doi"] == "10.1016/j.media.2019.101535"     # the SDNet paper
    assert any(r.get("doi") == "10.1109/TMI.2018.2837502" for r in cff["references"])   # the ACDC paper


def test_citation_and_licence_agree_with_the_package():
    cff, setup = _citation(), configparser.ConfigParser()
    setup.read(os.path.join(ROOT, "setup.cfg"))
    assert cff["license"] == setup["metadata"]["license"] == "MIT"
    assert cff["version"] == sdnet.__version__
    with open(os.path.join(ROOT, "LICENSE")) as f:
        assert f.readline().strip() == "MIT License"
