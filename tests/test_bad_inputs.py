"""The `sdnet` command under bad input, as a table of cases (in the manner of MONAI's tests):
each gives its exit status, one line naming the offending file or flag, no traceback, and leaves
every file that existed before unchanged."""
import csv
import hashlib
import os
import shutil

import nibabel as nib
import numpy as np
import pytest

from sdnet.cli import main
from sdnet.training.folder import RunFolder

from helpers import fake_model_folder, write_scan


def tree_hashes(folder) -> dict:
    """{path: content hash} of every file under `folder`."""
    hashes = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                hashes[path] = hashlib.sha256(f.read()).hexdigest()
    return hashes


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Inputs a user has: scans with label maps, finished and unfinished models, earlier results."""
    root = tmp_path_factory.mktemp("world")
    scans = root / "scans"
    scans.mkdir()
    scan, gt = write_scan(str(scans), "patient007_frame01", phase=0)
    write_scan(str(scans), "patient007_frame04", phase=3)
    image = nib.load(scan)
    zero = nib.Nifti1Image(np.asarray(image.dataobj), None)          # no sform, no qform, pixdim 0
    zero.header["pixdim"][1:4] = 0
    nib.save(zero, str(root / "zero_pixdim.nii.gz"))
    model = fake_model_folder(str(root / "unet_model"))
    sdnet = fake_model_folder(str(root / "sdnet_model"), method="sdnet")
    unfinished = str(root / "unfinished")
    shutil.copytree(model, unfinished)
    for name in ("result.json", "DONE"):
        os.remove(os.path.join(unfinished, name))
    no_done = str(root / "no_done")                        # result.json written, the DONE marker not
    shutil.copytree(model, no_done)
    os.remove(os.path.join(no_done, "DONE"))
    exported = str(root / "exported")
    assert main(["export", model, exported]) == 0
    twin = root / "twin"                                  # another folder, a scan of the same name
    twin.mkdir()
    shutil.copy(scan, twin)
    shutil.copy(gt, twin)
    logged = root / "logged_run"                          # a run folder with its training log
    logged.mkdir()
    (logged / "training_log.csv").write_text("phase,epoch,val_dice,supervised_Mask\n0,0,0.5,0.4\n0,1,0.6,0.3\n")
    (root / "earlier.csv").write_text("subject,LV_ml\npatient001,120.00\n")
    (root / "a_file.txt").write_text("not a folder\n")
    return {"root": str(root), "scans": str(scans), "scan": scan, "gt": gt, "zero": str(root / "zero_pixdim.nii.gz"),
            "model": model, "sdnet": sdnet, "unfinished": unfinished, "csv": str(root / "earlier.csv"),
            "twin": str(twin / os.path.basename(scan)), "logged": str(logged), "no_done": no_done, "exported": exported, "twin_gt": str(twin / os.path.basename(gt)),
            "file": str(root / "a_file.txt")}


CASES = [  # (case, argv, exit status, what the one-line message names)
    ("volumes replaces results when all fail", ["volumes", "--masks", "{scan}", "--out", "{csv}"], 1, "not written"),
    ("volumes --out is its input mask", ["volumes", "--masks", "{gt}", "--out", "{gt}"], 2, "--out"),
    ("volumes --out is its input scan", ["volumes", "--model", "{model}", "--input", "{scan}", "--out", "{scan}"],
     2, "--out"),
    ("volumes --out a folder", ["volumes", "--masks", "{gt}", "--out", "{scans}"], 2, "is a folder"),
    ("volumes of an intensity image", ["volumes", "--masks", "{scan}", "--out", "{out}.csv"], 1,
     "looks like an image"),
    ("volumes, one value for two structures", ["volumes", "--masks", "{gt}", "--label-map", "MYO=2,LV=2,RV=1",
                                               "--out", "{out}.csv"], 2, "the value 2 is given to MYO and LV"),
    ("volumes --es without --ed", ["volumes", "--masks", "{gt}", "--es", "{gt}", "--out", "{out}.csv"], 2,
     "--es needs --ed"),
    ("volumes --out a file of another kind", ["volumes", "--masks", "{gt}", "--out", "{file}"], 2,
     "not a volumes CSV"),
    ("volumes --ed a missing file", ["volumes", "--masks", "{gt}", "--ed", "{out}_gt.nii.gz", "--out", "{out}.csv"], 2,
     "--ed"),
    ("volumes of an unfinished run", ["volumes", "--model", "{unfinished}", "--input", "{scan}", "--out",
                                      "{out}.csv"], 2, "not finished"),
    ("segment --out an existing file", ["segment", "--model", "{model}", "--input", "{scan}", "--out", "{file}"],
     2, "is a file"),
    ("segment with an unfinished run", ["segment", "--model", "{unfinished}", "--input", "{scan}", "--out", "{out}"],
     2, "not finished"),
    ("segment, best weights of an unfinished run", ["segment", "--model", "{unfinished}", "--weights", "best",
                                                    "--input", "{scan}", "--out", "{out}"], 2, "not finished"),
    ("segment a scan of pixel size 0", ["segment", "--model", "{model}", "--input", "{zero}", "--out", "{out}"], 1,
     "voxel size is 0"),
    ("decompose --out an existing file", ["decompose", "--model", "{sdnet}", "--input", "{scan}", "--out", "{file}"],
     2, "is a file"),
    ("decompose with an unfinished run", ["decompose", "--model", "{unfinished}", "--input", "{scan}", "--out",
                                          "{out}"], 2, "not finished"),
    ("synthesize --out a folder", ["synthesize", "--model", "{sdnet}", "--anatomy", "{scan}", "--modality", "{scan}",
                                   "--out", "{scans}"], 2, "--out"),
    ("synthesize --out its input", ["synthesize", "--model", "{sdnet}", "--anatomy", "{scan}", "--modality",
                                    "{scan}", "--out", "{scan}"], 2, "is an input"),
    ("synthesize with an unfinished run", ["synthesize", "--model", "{unfinished}", "--anatomy", "{scan}",
                                           "--modality", "{scan}", "--out", "{out}.nii.gz"], 2, "not finished"),
    ("export an unfinished run", ["export", "{unfinished}", "{out}"], 2, "not finished"),
    ("export into a file", ["export", "{model}", "{file}"], 2, "is a file"),
    ("export into a folder with files", ["export", "{model}", "{scans}"], 2, "not empty"),
    ("compare a folder that is not there", ["compare", "{out}", "--a", "sdnet:last", "--b", "unet:last",
                                            "--fraction", "1"], 2, "folder not found"),
    ("compare a run folder", ["compare", "{model}", "--a", "sdnet:last", "--b", "unet:last", "--fraction", "1"],
     2, "no finished runs"),
    ("curves of a folder without runs", ["curves", "--runs", "a={scans}"], 2, "no training_log.csv"),
    ("curves of a column no log has", ["curves", "--runs", "a={logged}", "--columns", "nosuchcol", "--out",
                                        "{out}.png"], 2, "--columns nosuchcol: none is in the runs' training logs"),
    ("segment with a run missing only DONE", ["segment", "--model", "{no_done}", "--input", "{scan}", "--out", "{out}"],
     2, "not finished (no DONE)"),
    ("segment, best weights of an exported model", ["segment", "--model", "{exported}", "--weights", "best", "--input",
                                                    "{scan}", "--out", "{out}"], 2, "holds last/ only"),
    ("segment two scans of one name", ["segment", "--model", "{model}", "--input", "{scan}", "{twin}", "--out", "{out}"],
     2, "share the name patient007_frame01"),
    ("decompose two scans of one name", ["decompose", "--model", "{sdnet}", "--input", "{scan}", "{twin}", "--out",
                                         "{out}"], 2, "share the name patient007_frame01"),
    ("volumes of two label maps of one name", ["volumes", "--masks", "{gt}", "{twin_gt}", "--out", "{out}.csv"], 2,
     "share the name patient007_frame01_gt"),
]


@pytest.mark.parametrize("case, argv, status, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_in_one_line_and_nothing_is_lost(world, tmp_path, capsys, case, argv, status, message):
    before = tree_hashes(world["root"])
    argv = [a.format(out=str(tmp_path / "new"), **world) for a in argv]
    assert main(argv) == status
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in err and errors, err
    assert any(message in line for line in errors), err
    assert tree_hashes(world["root"]) == before          # nothing that existed was changed or removed
    if status == 2:                                      # refused before anything was written
        assert not any(os.path.exists(str(tmp_path / "new") + end) for end in ("", ".csv", ".nii.gz")), case


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_volumes_of_a_folder_read_its_label_maps_only_and_name_subjects_plainly(world, tmp_path, capsys):
    out = str(tmp_path / "v.csv")
    assert main(["volumes", "--masks", world["scans"], "--out", out]) == 0       # images beside the _gt files
    (row,) = read_csv(out)
    assert row["subject"] == "patient007" and row["label_map"] == "MYO=2,LV=3,RV=1"
    assert float(row["LV_EDV_ml"]) > float(row["LV_ESV_ml"]) > 0
    assert b"\r\n" not in open(out, "rb").read()
    assert "wrote 1 row(s)" in capsys.readouterr().out
    # the ED frame alone: its LV mass
    assert main(["volumes", "--masks", world["gt"], "--ed", world["gt"], "--out", out]) == 0
    (row,) = read_csv(out)
    assert float(row["LV_mass_g"]) == pytest.approx(float(row["MYO_ml"]) * 1.05, abs=0.01)
    # --ed naming one frame of a pair the names make: still one subject, one row
    assert main(["volumes", "--masks", world["scans"], "--ed", world["gt"], "--out", out]) == 0
    (row,) = read_csv(out)
    assert row["subject"] == "patient007" and row["ED"] == os.path.basename(world["gt"])


def test_volumes_structures_follow_the_label_map_and_empty_structures_are_warned(world, tmp_path, capsys):
    out = str(tmp_path / "v.csv")
    assert main(["volumes", "--masks", world["gt"], "--label-map", "MYO=2,LV=3", "--out", out]) == 0
    assert {k for k in read_csv(out)[0] if k.endswith("_ml")} == {"MYO_ml", "LV_ml"}
    recoded = str(tmp_path / "recoded_gt.nii.gz")          # LV coded 1, MYO 2, no RV: not ACDC's codes
    gt = nib.load(world["gt"])
    labels = np.asarray(gt.dataobj)
    nib.save(nib.Nifti1Image(np.select([labels == 3, labels == 2], [1, 2], 0).astype(np.uint8), gt.affine, gt.header),
             recoded)
    capsys.readouterr()
    assert main(["volumes", "--masks", recoded, "--out", out]) == 0
    assert "warning: LV (label 3) is empty in every label map" in capsys.readouterr().err


def test_a_scan_of_pixel_size_0_takes_the_sform_spacing_and_says_so(world, tmp_path, caplog):
    from sdnet.data.nifti import load_nifti

    image = nib.load(world["scan"])
    with_sform = nib.Nifti1Image(np.asarray(image.dataobj), image.affine)
    with_sform.header["pixdim"][1:4] = 0
    path = str(tmp_path / "zero_with_sform.nii.gz")
    nib.save(with_sform, path)
    _, zooms = load_nifti(path)
    assert zooms == pytest.approx(image.header.get_zooms(), abs=1e-4)
    assert "using the sform's" in caplog.text


def test_synthesize_makes_the_folder_of_its_output_and_export_says_how_to_load(world, tmp_path, capsys):
    out = str(tmp_path / "missing" / "a_as_b.nii.gz")
    assert main(["synthesize", "--model", world["sdnet"], "--anatomy", world["scan"], "--modality", world["scan"],
                 "--out", out]) == 0
    assert nib.load(out).shape == nib.load(world["scan"]).shape
    exported = str(tmp_path / "exported")
    assert main(["export", world["model"], exported]) == 0
    assert "import sdnet" in open(os.path.join(exported, "README.txt")).read()
    assert main(["segment", "--model", exported, "--input", world["scan"], "--out", str(tmp_path / "seg")]) == 0
    assert "wrote 1 label map(s)" in capsys.readouterr().out


def test_results_written_under_umask_022_are_readable_by_others(tmp_path):
    from sdnet.io import write_json

    previous = os.umask(0o022)
    try:
        write_json(str(tmp_path / "result.json"), {"a": 1})
        RunFolder(str(tmp_path / "run")).write_result({"epochs_trained": 1})
    finally:
        os.umask(previous)
    for path in (tmp_path / "result.json", tmp_path / "run" / "result.json", tmp_path / "run" / "DONE"):
        assert os.stat(path).st_mode & 0o777 == 0o644, path
