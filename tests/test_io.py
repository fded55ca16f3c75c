"""Atomic writes and folder checks."""
import os

import pytest

from sdnet.io import atomic_write, check_writable_folder, read_json, write_json


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    path = str(tmp_path / "a.json")
    write_json(path, {"x": 1})
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write('{"x": ')
            raise RuntimeError("killed mid-write")
    assert read_json(path) == {"x": 1} and os.listdir(tmp_path) == ["a.json"]


def test_writable_folder_is_created_and_a_file_is_refused(tmp_path):
    check_writable_folder(str(tmp_path / "new" / "deep"), "output folder")
    assert (tmp_path / "new" / "deep").is_dir()
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match="the output folder is a file"):
        check_writable_folder(str(tmp_path / "f"), "output folder")


def test_a_folder_that_refuses_writes_is_reported_by_the_file_asked_for(tmp_path, monkeypatch):
    """Not by the hidden temporary file (as root, chmod cannot make a folder refuse: the refusal is simulated)."""
    import errno
    import tempfile

    def refuse(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(kwargs["dir"], ".x.csv.abc.tmp"))
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    path = str(tmp_path / "x.csv")
    with pytest.raises(PermissionError) as caught:
        with atomic_write(path) as f:
            f.write("a")
    assert caught.value.filename == path and ".tmp" not in str(caught.value)
    assert f"cannot write it in {tmp_path} (Permission denied)" in caught.value.strerror
